/**
 * Literal parsers for attribute values and the expression result types each value kind accepts.
 * A literal is parsed once at load time; an expression is type-checked at load time as far as
 * its static type allows and converted by the runtime.
 */

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export type LiteralParser<T> = (text: string) => ParseResult<T>;

/** What an expression in this position must be convertible to. */
export type ValueKind = 'string' | 'number' | 'bool';

export const anyString: LiteralParser<string> = (text) => ({ ok: true, value: text });

/** Integers as .NET int.Parse accepts them (surrounding whitespace allowed), range-checked. */
export function integer(min: number, max: number): LiteralParser<number> {
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
  return (text) => {
    const t = text.trim();
    if (!/^[+-]?\d+$/.test(t)) return { ok: false, message: `expected an integer ${range}, got "${text}"` };
    const value = Number(t);
    if (value < min || value > max) return { ok: false, message: `must be ${range}, got ${value}` };
    return { ok: true, value };
  };
}

/** .NET bool.Parse: "true"/"false" in any case. */
export const boolean: LiteralParser<boolean> = (text) => {
  const t = text.trim().toLowerCase();
  if (t === 'true') return { ok: true, value: true };
  if (t === 'false') return { ok: true, value: false };
  return { ok: false, message: `expected "true" or "false", got "${text}"` };
};

/** One of a fixed set of words, matched case-insensitively and returned in canonical spelling. */
export function oneOf<T extends string>(values: readonly T[]): LiteralParser<T> {
  return (text) => {
    const t = text.trim().toLowerCase();
    const hit = values.find((v) => v.toLowerCase() === t);
    if (hit !== undefined) return { ok: true, value: hit };
    return { ok: false, message: `expected one of ${values.map((v) => `"${v}"`).join(', ')}, got "${text}"` };
  };
}

/** Wraps a parser to also accept a duration/date parser returning undefined on failure. */
export function fromOptional<T>(parse: (text: string) => T | undefined, what: string): LiteralParser<T> {
  return (text) => {
    const value = parse(text);
    return value === undefined ? { ok: false, message: `expected ${what}, got "${text}"` } : { ok: true, value };
  };
}

/**
 * Static result types that can never convert to the wanted kind. Anything else (object,
 * JToken, strings for numbers, …) is left to the runtime conversion, as APIM only knows the
 * run-time value there too.
 */
export function incompatibleResultType(kind: ValueKind, resultType: string): boolean {
  const base = resultType.endsWith('?') ? resultType.slice(0, -1) : resultType;
  switch (kind) {
    case 'string':
      return resultType === 'void';
    case 'bool':
      return !['bool', 'object', 'JToken', 'JValue'].includes(base);
    case 'number':
      return !['int', 'long', 'double', 'object', 'JToken', 'JValue', 'string', 'char'].includes(base);
  }
}
