/**
 * The System types policy expressions use: string, the numeric types, bool, Math, Convert,
 * DateTime, TimeSpan, Guid, and the StringComparison/StringSplitOptions enums. Behaviour
 * (including the exception raised for bad input) follows .NET; culture-sensitive operations
 * use the invariant culture, and culture-aware string comparison is treated as ordinal.
 */
import {
  argumentError,
  argumentNull,
  argumentOutOfRange,
  indexOutOfRange,
  invalidOperation,
  ExpressionRuntimeError,
} from './errors.ts';
import {
  ClrDateTime,
  ClrGuid,
  ClrTimeSpan,
  doubleToInteger,
  formatBool,
  formatDateTime,
  formatDouble,
  formatGuid,
  formatNumber,
  formatTimeSpan,
  parseBool,
  parseDouble,
  parseInteger,
  randomGuidText,
  roundToEven,
} from './clr-values.ts';
import { isInstanceOf, toDisplayString } from './conversions.ts';
import { constant, method, param, prop, sig } from './members.ts';
import type { MemberDef, OutRef, Signature, TypeMembers } from './members.ts';
import {
  BOOL,
  CHAR,
  CONVERT,
  DATETIME,
  DOUBLE,
  GUID,
  INT,
  LONG,
  MATH,
  OBJECT,
  STRING,
  STRING_COMPARISON,
  STRING_SPLIT_OPTIONS,
  TIMESPAN,
  T_BOOL,
  T_CHAR,
  T_CHAR_ARRAY,
  T_DATETIME,
  T_DOUBLE,
  T_GUID,
  T_INT,
  T_LONG,
  T_OBJECT,
  T_STRING,
  T_STRING_ARRAY,
  T_TIMESPAN,
  arrayOf,
  named,
  typeName,
} from './types.ts';
import type { ClrType, TypeDef } from './types.ts';

const T_COMPARISON = named(STRING_COMPARISON);
const T_SPLIT_OPTIONS = named(STRING_SPLIT_OPTIONS);
const T_OBJECT_ARRAY = arrayOf(T_OBJECT);

// ---- string helpers ----

function ignoresCase(comparison: unknown): boolean {
  return typeof comparison === 'string' && comparison.endsWith('IgnoreCase');
}

/** Case folding for the *IgnoreCase comparisons (ordinal, upper-invariant, as .NET does). */
function fold(s: string, comparison: unknown): string {
  return ignoresCase(comparison) ? s.toUpperCase() : s;
}

function requireString(value: unknown, parameter: string): string {
  if (value === null) throw argumentNull(parameter);
  return value as string;
}

function stringEquals(a: unknown, b: unknown, comparison: unknown): boolean {
  if (a === null || b === null) return a === b;
  return fold(a as string, comparison) === fold(b as string, comparison);
}

function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function stringCompare(a: unknown, b: unknown, comparison: unknown): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return compareOrdinal(fold(a as string, comparison), fold(b as string, comparison));
}

const WHITESPACE = /[\s\u0085]/u;

function trimChars(s: string, chars: readonly string[] | null, start: boolean, end: boolean): string {
  const strip = (c: string): boolean => (chars === null || chars.length === 0 ? WHITESPACE.test(c) : chars.includes(c));
  let i = 0;
  let j = s.length;
  if (start) while (i < j && strip(s[i] as string)) i++;
  if (end) while (j > i && strip(s[j - 1] as string)) j--;
  return s.slice(i, j);
}

function applySplitOptions(parts: string[], options: unknown): string[] {
  let out = parts;
  const text = typeof options === 'string' ? options : 'None';
  if (text.includes('TrimEntries')) out = out.map((p) => p.trim());
  if (text.includes('RemoveEmptyEntries')) out = out.filter((p) => p !== '');
  return out;
}

function splitOnChars(s: string, separators: readonly string[] | null, options: unknown = 'None'): string[] {
  const parts: string[] = [];
  let current = '';
  for (const c of s) {
    const isSeparator = separators === null || separators.length === 0 ? WHITESPACE.test(c) : separators.includes(c);
    if (isSeparator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return applySplitOptions(parts, options);
}

function splitOnString(s: string, separator: unknown, options: unknown = 'None'): string[] {
  if (separator === null || separator === '') return applySplitOptions([s], options);
  return applySplitOptions(s.split(separator as string), options);
}

function substring(s: string, start: number, length?: number): string {
  if (start < 0 || start > s.length) {
    throw argumentOutOfRange('startIndex', 'startIndex cannot be larger than length of string.');
  }
  if (length === undefined) return s.slice(start);
  if (length < 0 || start + length > s.length) {
    throw argumentOutOfRange('length', 'Index and length must refer to a location within the string.');
  }
  return s.slice(start, start + length);
}

function indexOf(s: string, value: unknown, startIndex: number, comparison: unknown): number {
  const v = requireString(value, 'value');
  if (startIndex < 0 || startIndex > s.length) throw argumentOutOfRange('startIndex', 'Index was out of range. Must be non-negative and less than or equal to the size of the collection.');
  return fold(s, comparison).indexOf(fold(v, comparison), startIndex);
}

/** string.Format's composite formatting: {0}, {1,-5}, {0:F2}; {{ and }} escape braces. */
export function compositeFormat(format: string, args: readonly unknown[]): string {
  let out = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c === '{' && format[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    if (c === '}' && format[i + 1] === '}') {
      out += '}';
      i += 2;
      continue;
    }
    if (c === '}') throw new ExpressionRuntimeError('FormatException', 'Input string was not in a correct format.');
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    const close = format.indexOf('}', i);
    const m = close < 0 ? null : /^(\d+)\s*(?:,\s*(-?\d+))?\s*(?::(.*))?$/s.exec(format.slice(i + 1, close));
    if (m === null) throw new ExpressionRuntimeError('FormatException', 'Input string was not in a correct format.');
    const index = Number(m[1]);
    if (index >= args.length) {
      throw new ExpressionRuntimeError('FormatException', 'Index (zero based) must be greater than or equal to zero and less than the size of the argument list.');
    }
    const text = formatWith(args[index], m[3]);
    out += align(text, m[2] === undefined ? 0 : Number(m[2]));
    i = close + 1;
  }
  return out;
}

/** Formats a run-time value with an optional format string, as {x:format} and string.Format do. */
export function formatWith(value: unknown, format: string | undefined, integral = false): string {
  if (format === undefined || value === null || value === undefined) return toDisplayString(value, integral);
  if (typeof value === 'number') return formatNumber(value, format, integral || isInstanceOf(value, T_LONG));
  if (value instanceof ClrDateTime) return formatDateTime(value, format);
  if (value instanceof ClrGuid) return formatGuid(value, format);
  return toDisplayString(value, integral);
}

export function align(text: string, width: number): string {
  if (width === 0) return text;
  return width > 0 ? text.padStart(width) : text.padEnd(-width);
}

// ---- string ----

const stringMembers: TypeMembers = {
  instance: {
    Length: prop(T_INT, (s) => (s as string).length),
    Equals: method(
      sig([param('value', T_STRING)], T_BOOL, (s, [v]) => s === v),
      sig([param('value', T_STRING), param('comparisonType', T_COMPARISON)], T_BOOL, (s, [v, c]) => stringEquals(s, v, c)),
      sig([param('obj', T_OBJECT)], T_BOOL, (s, [v]) => s === v),
    ),
    CompareTo: method(sig([param('strB', T_STRING)], T_INT, (s, [v]) => stringCompare(s, v, 'CurrentCulture'))),
    Contains: method(
      sig([param('value', T_STRING)], T_BOOL, (s, [v]) => (s as string).includes(requireString(v, 'value'))),
      sig([param('value', T_STRING), param('comparisonType', T_COMPARISON)], T_BOOL, (s, [v, c]) =>
        fold(s as string, c).includes(fold(requireString(v, 'value'), c)),
      ),
      sig([param('value', T_CHAR)], T_BOOL, (s, [v]) => (s as string).includes(v as string)),
    ),
    StartsWith: method(
      sig([param('value', T_STRING)], T_BOOL, (s, [v]) => (s as string).startsWith(requireString(v, 'value'))),
      sig([param('value', T_STRING), param('comparisonType', T_COMPARISON)], T_BOOL, (s, [v, c]) =>
        fold(s as string, c).startsWith(fold(requireString(v, 'value'), c)),
      ),
      sig([param('value', T_CHAR)], T_BOOL, (s, [v]) => (s as string).startsWith(v as string)),
    ),
    EndsWith: method(
      sig([param('value', T_STRING)], T_BOOL, (s, [v]) => (s as string).endsWith(requireString(v, 'value'))),
      sig([param('value', T_STRING), param('comparisonType', T_COMPARISON)], T_BOOL, (s, [v, c]) =>
        fold(s as string, c).endsWith(fold(requireString(v, 'value'), c)),
      ),
      sig([param('value', T_CHAR)], T_BOOL, (s, [v]) => (s as string).endsWith(v as string)),
    ),
    IndexOf: method(
      sig([param('value', T_STRING)], T_INT, (s, [v]) => indexOf(s as string, v, 0, 'Ordinal')),
      sig([param('value', T_CHAR)], T_INT, (s, [v]) => (s as string).indexOf(v as string)),
      sig([param('value', T_STRING), param('startIndex', T_INT)], T_INT, (s, [v, i]) => indexOf(s as string, v, i as number, 'Ordinal')),
      sig([param('value', T_CHAR), param('startIndex', T_INT)], T_INT, (s, [v, i]) => indexOf(s as string, v, i as number, 'Ordinal')),
      sig([param('value', T_STRING), param('comparisonType', T_COMPARISON)], T_INT, (s, [v, c]) => indexOf(s as string, v, 0, c)),
    ),
    LastIndexOf: method(
      sig([param('value', T_STRING)], T_INT, (s, [v]) => (s as string).lastIndexOf(requireString(v, 'value'))),
      sig([param('value', T_CHAR)], T_INT, (s, [v]) => (s as string).lastIndexOf(v as string)),
    ),
    Substring: method(
      sig([param('startIndex', T_INT)], T_STRING, (s, [i]) => substring(s as string, i as number)),
      sig([param('startIndex', T_INT), param('length', T_INT)], T_STRING, (s, [i, n]) => substring(s as string, i as number, n as number)),
    ),
    Replace: method(
      sig([param('oldValue', T_STRING), param('newValue', T_STRING)], T_STRING, (s, [a, b]) => {
        const oldValue = requireString(a, 'oldValue');
        if (oldValue === '') throw argumentError("String cannot be of zero length. (Parameter 'oldValue')");
        return (s as string).replaceAll(oldValue, (b as string | null) ?? '');
      }),
      sig([param('oldChar', T_CHAR), param('newChar', T_CHAR)], T_STRING, (s, [a, b]) => (s as string).replaceAll(a as string, b as string)),
    ),
    Insert: method(
      sig([param('startIndex', T_INT), param('value', T_STRING)], T_STRING, (s, [i, v]) => {
        const str = s as string;
        const at = i as number;
        if (at < 0 || at > str.length) throw argumentOutOfRange('startIndex', 'Index was out of range. Must be non-negative and less than or equal to the size of the collection.');
        return str.slice(0, at) + requireString(v, 'value') + str.slice(at);
      }),
    ),
    Remove: method(
      sig([param('startIndex', T_INT)], T_STRING, (s, [i]) => {
        const str = s as string;
        if ((i as number) < 0 || (i as number) >= str.length) throw argumentOutOfRange('startIndex', 'startIndex must be less than length of string.');
        return str.slice(0, i as number);
      }),
      sig([param('startIndex', T_INT), param('count', T_INT)], T_STRING, (s, [i, n]) => {
        const str = s as string;
        const at = i as number;
        const count = n as number;
        if (at < 0 || count < 0 || at + count > str.length) throw argumentOutOfRange('count', 'Index and count must refer to a location within the string.');
        return str.slice(0, at) + str.slice(at + count);
      }),
    ),
    ToLower: method(sig([], T_STRING, (s) => (s as string).toLowerCase())),
    ToUpper: method(sig([], T_STRING, (s) => (s as string).toUpperCase())),
    ToLowerInvariant: method(sig([], T_STRING, (s) => (s as string).toLowerCase())),
    ToUpperInvariant: method(sig([], T_STRING, (s) => (s as string).toUpperCase())),
    Trim: method(
      sig([], T_STRING, (s) => trimChars(s as string, null, true, true)),
      sig([param('trimChars', T_CHAR_ARRAY, { params: true })], T_STRING, (s, [c]) => trimChars(s as string, c as string[] | null, true, true)),
    ),
    TrimStart: method(
      sig([], T_STRING, (s) => trimChars(s as string, null, true, false)),
      sig([param('trimChars', T_CHAR_ARRAY, { params: true })], T_STRING, (s, [c]) => trimChars(s as string, c as string[] | null, true, false)),
    ),
    TrimEnd: method(
      sig([], T_STRING, (s) => trimChars(s as string, null, false, true)),
      sig([param('trimChars', T_CHAR_ARRAY, { params: true })], T_STRING, (s, [c]) => trimChars(s as string, c as string[] | null, false, true)),
    ),
    Split: method(
      sig([param('separator', T_CHAR_ARRAY, { params: true })], T_STRING_ARRAY, (s, [c]) => splitOnChars(s as string, c as string[] | null)),
      sig([param('separator', T_CHAR), param('options', T_SPLIT_OPTIONS)], T_STRING_ARRAY, (s, [c, o]) => splitOnChars(s as string, [c as string], o)),
      sig([param('separator', T_CHAR_ARRAY), param('options', T_SPLIT_OPTIONS)], T_STRING_ARRAY, (s, [c, o]) => splitOnChars(s as string, c as string[] | null, o)),
      sig([param('separator', T_STRING), param('options', T_SPLIT_OPTIONS, { optional: true, defaultValue: 'None' })], T_STRING_ARRAY, (s, [sep, o]) =>
        splitOnString(s as string, sep, o),
      ),
    ),
    PadLeft: method(
      sig([param('totalWidth', T_INT)], T_STRING, (s, [n]) => (s as string).padStart(n as number)),
      sig([param('totalWidth', T_INT), param('paddingChar', T_CHAR)], T_STRING, (s, [n, c]) => (s as string).padStart(n as number, c as string)),
    ),
    PadRight: method(
      sig([param('totalWidth', T_INT)], T_STRING, (s, [n]) => (s as string).padEnd(n as number)),
      sig([param('totalWidth', T_INT), param('paddingChar', T_CHAR)], T_STRING, (s, [n, c]) => (s as string).padEnd(n as number, c as string)),
    ),
    ToString: method(sig([], T_STRING, (s) => s)),
  },
  indexers: [
    sig([param('index', T_INT)], T_CHAR, (s, [i]) => {
      const str = s as string;
      const at = i as number;
      if (at < 0 || at >= str.length) throw indexOutOfRange();
      return str[at];
    }),
  ],
  static: {
    Empty: constant(T_STRING, ''),
    IsNullOrEmpty: method(sig([param('value', T_STRING)], T_BOOL, (_, [v]) => v === null || v === '')),
    IsNullOrWhiteSpace: method(sig([param('value', T_STRING)], T_BOOL, (_, [v]) => v === null || (v as string).trim() === '')),
    Equals: method(
      sig([param('a', T_STRING), param('b', T_STRING)], T_BOOL, (_, [a, b]) => a === b),
      sig([param('a', T_STRING), param('b', T_STRING), param('comparisonType', T_COMPARISON)], T_BOOL, (_, [a, b, c]) => stringEquals(a, b, c)),
    ),
    Compare: method(
      sig([param('strA', T_STRING), param('strB', T_STRING)], T_INT, (_, [a, b]) => stringCompare(a, b, 'CurrentCulture')),
      sig([param('strA', T_STRING), param('strB', T_STRING), param('ignoreCase', T_BOOL)], T_INT, (_, [a, b, i]) =>
        stringCompare(a, b, i === true ? 'OrdinalIgnoreCase' : 'Ordinal'),
      ),
      sig([param('strA', T_STRING), param('strB', T_STRING), param('comparisonType', T_COMPARISON)], T_INT, (_, [a, b, c]) => stringCompare(a, b, c)),
    ),
    Concat: method(sig([param('args', T_OBJECT_ARRAY, { params: true })], T_STRING, (_, [args]) => ((args as unknown[] | null) ?? []).map((a) => toDisplayString(a)).join(''))),
    Join: method(
      sig([param('separator', T_STRING), param('value', T_STRING_ARRAY, { params: true })], T_STRING, (_, [sep, values]) => {
        if (values === null) throw argumentNull('value');
        return (values as unknown[]).map((v) => toDisplayString(v)).join((sep as string | null) ?? '');
      }),
      sig([param('separator', T_STRING), param('values', T_OBJECT_ARRAY, { params: true })], T_STRING, (_, [sep, values]) => {
        if (values === null) throw argumentNull('values');
        return (values as unknown[]).map((v) => toDisplayString(v)).join((sep as string | null) ?? '');
      }),
    ),
    Format: method(
      sig([param('format', T_STRING), param('args', T_OBJECT_ARRAY, { params: true })], T_STRING, (_, [f, args]) =>
        compositeFormat(requireString(f, 'format'), (args as unknown[] | null) ?? []),
      ),
    ),
  },
  unsupported: ['Normalize', 'ToCharArray', 'GetEnumerator', 'CopyTo', 'Intern'],
};

// ---- numbers and bool ----

function tryParse(parse: (s: string | null) => unknown, fallback: unknown): Signature {
  return sig([param('s', T_STRING), param('result', T_INT, { out: true })], T_BOOL, (_, [s, out]) => {
    try {
      (out as OutRef).set(parse(s as string | null));
      return true;
    } catch (e) {
      if (!(e instanceof ExpressionRuntimeError)) throw e;
      (out as OutRef).set(fallback);
      return false;
    }
  });
}

/** TryParse's out parameter has the numeric type itself. */
function withOutType(signature: Signature, t: ClrType): Signature {
  return { ...signature, params: [signature.params[0] as Signature['params'][number], param('result', t, { out: true })] };
}

function numberMembers(def: TypeDef, t: ClrType): TypeMembers {
  const integral = def.numeric !== 'double';
  const bits = def === INT ? 32 : 64;
  const parse = (s: string | null): number => (integral ? parseInteger(s, bits) : parseDouble(s));
  const statics: Record<string, MemberDef> = {
    Parse: method(sig([param('s', T_STRING)], t, (_, [s]) => parse(s as string | null))),
    TryParse: method(withOutType(tryParse(parse, 0), t)),
  };
  if (def === INT) {
    statics['MaxValue'] = constant(t, 2147483647);
    statics['MinValue'] = constant(t, -2147483648);
  } else if (def === LONG) {
    statics['MaxValue'] = constant(t, 9223372036854775807);
    statics['MinValue'] = constant(t, -9223372036854775808);
  } else {
    statics['MaxValue'] = constant(t, Number.MAX_VALUE);
    statics['MinValue'] = constant(t, -Number.MAX_VALUE);
    statics['NaN'] = constant(t, NaN);
    statics['PositiveInfinity'] = constant(t, Infinity);
    statics['NegativeInfinity'] = constant(t, -Infinity);
    statics['IsNaN'] = method(sig([param('d', t)], T_BOOL, (_, [d]) => Number.isNaN(d)));
    statics['IsInfinity'] = method(sig([param('d', t)], T_BOOL, (_, [d]) => d === Infinity || d === -Infinity));
  }
  return {
    instance: {
      ToString: method(
        sig([], T_STRING, (n) => (integral ? String(n) : formatDouble(n as number))),
        sig([param('format', T_STRING)], T_STRING, (n, [f]) => formatNumber(n as number, (f as string | null) ?? '', integral)),
      ),
      Equals: method(sig([param('obj', T_OBJECT)], T_BOOL, (n, [v]) => n === v)),
      CompareTo: method(sig([param('value', t)], T_INT, (n, [v]) => Math.sign((n as number) - (v as number)))),
    },
    static: statics,
  };
}

const boolMembers: TypeMembers = {
  instance: {
    ToString: method(sig([], T_STRING, (b) => formatBool(b as boolean))),
    Equals: method(sig([param('obj', T_OBJECT)], T_BOOL, (b, [v]) => b === v)),
  },
  static: {
    Parse: method(sig([param('value', T_STRING)], T_BOOL, (_, [s]) => parseBool(s as string | null))),
    TryParse: method(withOutType(tryParse((s) => parseBool(s), false), T_BOOL)),
    TrueString: constant(T_STRING, 'True'),
    FalseString: constant(T_STRING, 'False'),
  },
};

const charMembers: TypeMembers = {
  instance: {
    ToString: method(sig([], T_STRING, (c) => c)),
    Equals: method(sig([param('obj', T_OBJECT)], T_BOOL, (c, [v]) => c === v)),
  },
  static: {
    IsDigit: method(sig([param('c', T_CHAR)], T_BOOL, (_, [c]) => /\p{Nd}/u.test(c as string))),
    IsLetter: method(sig([param('c', T_CHAR)], T_BOOL, (_, [c]) => /\p{L}/u.test(c as string))),
    IsWhiteSpace: method(sig([param('c', T_CHAR)], T_BOOL, (_, [c]) => WHITESPACE.test(c as string))),
    IsUpper: method(sig([param('c', T_CHAR)], T_BOOL, (_, [c]) => /\p{Lu}/u.test(c as string))),
    IsLower: method(sig([param('c', T_CHAR)], T_BOOL, (_, [c]) => /\p{Ll}/u.test(c as string))),
  },
};

const objectMembers: TypeMembers = {
  instance: {
    ToString: method(sig([], T_STRING, (v) => toDisplayString(v))),
    Equals: method(sig([param('obj', T_OBJECT)], T_BOOL, (a, [b]) => valueEquals(a, b))),
  },
};

/** object.Equals: value equality for the value types, reference equality otherwise. */
export function valueEquals(a: unknown, b: unknown): boolean {
  if (a instanceof ClrDateTime || a instanceof ClrTimeSpan) return b instanceof a.constructor && (b as { ms: number }).ms === a.ms;
  if (a instanceof ClrGuid) return b instanceof ClrGuid && b.text === a.text;
  return a === b;
}

// ---- Math and Convert ----

function overloadsFor(types: ClrType[], make: (t: ClrType) => Signature): Signature[] {
  return types.map(make);
}

const NUMERIC_TYPES = [T_INT, T_LONG, T_DOUBLE];

const mathMembers: TypeMembers = {
  static: {
    PI: constant(T_DOUBLE, Math.PI),
    E: constant(T_DOUBLE, Math.E),
    Min: method(...overloadsFor(NUMERIC_TYPES, (t) => sig([param('val1', t), param('val2', t)], t, (_, [a, b]) => Math.min(a as number, b as number)))),
    Max: method(...overloadsFor(NUMERIC_TYPES, (t) => sig([param('val1', t), param('val2', t)], t, (_, [a, b]) => Math.max(a as number, b as number)))),
    Abs: method(...overloadsFor(NUMERIC_TYPES, (t) => sig([param('value', t)], t, (_, [a]) => Math.abs(a as number)))),
    Sign: method(...overloadsFor(NUMERIC_TYPES, (t) => sig([param('value', t)], T_INT, (_, [a]) => Math.sign(a as number)))),
    Round: method(
      sig([param('a', T_DOUBLE)], T_DOUBLE, (_, [a]) => roundToEven(a as number)),
      sig([param('value', T_DOUBLE), param('digits', T_INT)], T_DOUBLE, (_, [a, d]) => roundToEven(a as number, d as number)),
    ),
    Floor: method(sig([param('d', T_DOUBLE)], T_DOUBLE, (_, [a]) => Math.floor(a as number))),
    Ceiling: method(sig([param('a', T_DOUBLE)], T_DOUBLE, (_, [a]) => Math.ceil(a as number))),
    Truncate: method(sig([param('d', T_DOUBLE)], T_DOUBLE, (_, [a]) => Math.trunc(a as number))),
    Pow: method(sig([param('x', T_DOUBLE), param('y', T_DOUBLE)], T_DOUBLE, (_, [a, b]) => (a as number) ** (b as number))),
    Sqrt: method(sig([param('d', T_DOUBLE)], T_DOUBLE, (_, [a]) => Math.sqrt(a as number))),
    Log: method(sig([param('d', T_DOUBLE)], T_DOUBLE, (_, [a]) => Math.log(a as number))),
  },
};

/** Convert.ToInt32/ToInt64 of any run-time value (the object overload). */
function convertToInteger(value: unknown, bits: 32 | 64): number {
  if (value === null) return 0;
  if (typeof value === 'string') return parseInteger(value, bits, 'value');
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return doubleToInteger(value, bits);
  throw new ExpressionRuntimeError('InvalidCastException', `Unable to cast object of type '${toDisplayString(value)}' to type 'System.IConvertible'.`);
}

function convertToDouble(value: unknown): number {
  if (value === null) return 0;
  if (typeof value === 'string') return parseDouble(value, 'value');
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  throw new ExpressionRuntimeError('InvalidCastException', "Unable to cast object to type 'System.IConvertible'.");
}

function convertToBoolean(value: unknown): boolean {
  if (value === null) return false;
  if (typeof value === 'string') return parseBool(value);
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  throw new ExpressionRuntimeError('InvalidCastException', "Unable to cast object to type 'System.IConvertible'.");
}

const convertMembers: TypeMembers = {
  static: {
    ToInt32: method(
      sig([param('value', T_STRING)], T_INT, (_, [v]) => (v === null ? 0 : parseInteger(v as string, 32, 'value'))),
      sig([param('value', T_DOUBLE)], T_INT, (_, [v]) => doubleToInteger(v as number, 32)),
      sig([param('value', T_BOOL)], T_INT, (_, [v]) => (v === true ? 1 : 0)),
      sig([param('value', T_OBJECT)], T_INT, (_, [v]) => convertToInteger(v, 32)),
    ),
    ToInt64: method(
      sig([param('value', T_STRING)], T_LONG, (_, [v]) => (v === null ? 0 : parseInteger(v as string, 64, 'value'))),
      sig([param('value', T_DOUBLE)], T_LONG, (_, [v]) => doubleToInteger(v as number, 64)),
      sig([param('value', T_BOOL)], T_LONG, (_, [v]) => (v === true ? 1 : 0)),
      sig([param('value', T_OBJECT)], T_LONG, (_, [v]) => convertToInteger(v, 64)),
    ),
    ToDouble: method(
      sig([param('value', T_STRING)], T_DOUBLE, (_, [v]) => (v === null ? 0 : parseDouble(v as string, 'value'))),
      sig([param('value', T_DOUBLE)], T_DOUBLE, (_, [v]) => v),
      sig([param('value', T_BOOL)], T_DOUBLE, (_, [v]) => (v === true ? 1 : 0)),
      sig([param('value', T_OBJECT)], T_DOUBLE, (_, [v]) => convertToDouble(v)),
    ),
    ToBoolean: method(
      sig([param('value', T_STRING)], T_BOOL, (_, [v]) => (v === null ? false : parseBool(v as string))),
      sig([param('value', T_DOUBLE)], T_BOOL, (_, [v]) => v !== 0),
      sig([param('value', T_BOOL)], T_BOOL, (_, [v]) => v),
      sig([param('value', T_OBJECT)], T_BOOL, (_, [v]) => convertToBoolean(v)),
    ),
    ToString: method(
      sig([param('value', T_STRING)], T_STRING, (_, [v]) => v),
      sig([param('value', T_INT)], T_STRING, (_, [v]) => String(v)),
      sig([param('value', T_LONG)], T_STRING, (_, [v]) => String(v)),
      sig([param('value', T_DOUBLE)], T_STRING, (_, [v]) => formatDouble(v as number)),
      sig([param('value', T_BOOL)], T_STRING, (_, [v]) => formatBool(v as boolean)),
      sig([param('value', T_OBJECT)], T_STRING, (_, [v]) => toDisplayString(v)),
    ),
  },
  unsupported: ['ToBase64String', 'FromBase64String', 'ToByte', 'ToDecimal', 'ToSingle', 'ToChar', 'ToDateTime'],
};

// ---- DateTime, TimeSpan, Guid ----

function addMs(d: unknown, ms: number): ClrDateTime {
  return new ClrDateTime((d as ClrDateTime).ms + ms);
}

function dateAdder(unitMs: number): MemberDef {
  return method(sig([param('value', T_DOUBLE)], T_DATETIME, (d, [v]) => addMs(d, Math.round((v as number) * unitMs))));
}

function datePart(part: (d: Date) => number): MemberDef {
  return prop(T_INT, (d) => part(new Date((d as ClrDateTime).ms)));
}

const dateTimeMembers: TypeMembers = {
  instance: {
    Year: datePart((d) => d.getUTCFullYear()),
    Month: datePart((d) => d.getUTCMonth() + 1),
    Day: datePart((d) => d.getUTCDate()),
    Hour: datePart((d) => d.getUTCHours()),
    Minute: datePart((d) => d.getUTCMinutes()),
    Second: datePart((d) => d.getUTCSeconds()),
    Millisecond: datePart((d) => d.getUTCMilliseconds()),
    DayOfYear: datePart((d) => Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1),
    Date: prop(T_DATETIME, (d) => new ClrDateTime(Math.floor((d as ClrDateTime).ms / 86_400_000) * 86_400_000)),
    AddDays: dateAdder(86_400_000),
    AddHours: dateAdder(3_600_000),
    AddMinutes: dateAdder(60_000),
    AddSeconds: dateAdder(1000),
    AddMilliseconds: dateAdder(1),
    Add: method(sig([param('value', T_TIMESPAN)], T_DATETIME, (d, [t]) => addMs(d, (t as ClrTimeSpan).ms))),
    Subtract: method(
      sig([param('value', T_DATETIME)], T_TIMESPAN, (d, [o]) => new ClrTimeSpan((d as ClrDateTime).ms - (o as ClrDateTime).ms)),
      sig([param('value', T_TIMESPAN)], T_DATETIME, (d, [t]) => addMs(d, -(t as ClrTimeSpan).ms)),
    ),
    ToUniversalTime: method(sig([], T_DATETIME, (d) => d)),
    ToString: method(
      sig([], T_STRING, (d) => formatDateTime(d as ClrDateTime)),
      sig([param('format', T_STRING)], T_STRING, (d, [f]) => formatDateTime(d as ClrDateTime, (f as string | null) ?? 'G')),
    ),
    Equals: method(sig([param('obj', T_OBJECT)], T_BOOL, (a, [b]) => valueEquals(a, b))),
  },
  static: {
    UtcNow: prop(T_DATETIME, (_, frame) => new ClrDateTime(frame.ctx.now())),
    // APIM gateways run with UTC as local time.
    Now: prop(T_DATETIME, (_, frame) => new ClrDateTime(frame.ctx.now())),
    Today: prop(T_DATETIME, (_, frame) => new ClrDateTime(Math.floor(frame.ctx.now() / 86_400_000) * 86_400_000)),
    Parse: method(
      sig([param('s', T_STRING)], T_DATETIME, (_, [s]) => {
        const ms = Date.parse(requireString(s, 's'));
        if (Number.isNaN(ms)) throw new ExpressionRuntimeError('FormatException', `String '${s as string}' was not recognized as a valid DateTime.`);
        return new ClrDateTime(ms);
      }),
    ),
  },
  unsupported: ['Ticks', 'DayOfWeek', 'Kind', 'TimeOfDay', 'AddMonths', 'AddYears', 'AddTicks', 'ToLocalTime', 'ToFileTime'],
};

function spanPart(get: (ms: number) => number, type: ClrType = T_INT): MemberDef {
  return prop(type, (t) => get((t as ClrTimeSpan).ms));
}

/** TimeSpan component properties truncate toward zero, like .NET. */
function component(ms: number, unit: number, modulo: number): number {
  return Math.trunc(ms / unit) % modulo;
}

function spanFactory(unitMs: number): MemberDef {
  return method(sig([param('value', T_DOUBLE)], T_TIMESPAN, (_, [v]) => new ClrTimeSpan((v as number) * unitMs)));
}

const timeSpanMembers: TypeMembers = {
  instance: {
    TotalMilliseconds: spanPart((ms) => ms, T_DOUBLE),
    TotalSeconds: spanPart((ms) => ms / 1000, T_DOUBLE),
    TotalMinutes: spanPart((ms) => ms / 60_000, T_DOUBLE),
    TotalHours: spanPart((ms) => ms / 3_600_000, T_DOUBLE),
    TotalDays: spanPart((ms) => ms / 86_400_000, T_DOUBLE),
    Milliseconds: spanPart((ms) => component(ms, 1, 1000)),
    Seconds: spanPart((ms) => component(ms, 1000, 60)),
    Minutes: spanPart((ms) => component(ms, 60_000, 60)),
    Hours: spanPart((ms) => component(ms, 3_600_000, 24)),
    Days: spanPart((ms) => Math.trunc(ms / 86_400_000)),
    ToString: method(sig([], T_STRING, (t) => formatTimeSpan(t as ClrTimeSpan))),
    Equals: method(sig([param('obj', T_OBJECT)], T_BOOL, (a, [b]) => valueEquals(a, b))),
  },
  static: {
    Zero: constant(T_TIMESPAN, new ClrTimeSpan(0)),
    FromMilliseconds: spanFactory(1),
    FromSeconds: spanFactory(1000),
    FromMinutes: spanFactory(60_000),
    FromHours: spanFactory(3_600_000),
    FromDays: spanFactory(86_400_000),
  },
  unsupported: ['Ticks', 'TotalMicroseconds', 'Parse'],
};

const guidMembers: TypeMembers = {
  instance: {
    ToString: method(
      sig([], T_STRING, (g) => (g as ClrGuid).text),
      sig([param('format', T_STRING)], T_STRING, (g, [f]) => formatGuid(g as ClrGuid, (f as string | null) ?? 'D')),
    ),
    Equals: method(sig([param('obj', T_OBJECT)], T_BOOL, (a, [b]) => valueEquals(a, b))),
  },
  static: {
    NewGuid: method(sig([], T_GUID, (_, __, frame) => new ClrGuid(frame.ctx.newGuid?.() ?? randomGuidText()))),
    Empty: constant(T_GUID, new ClrGuid('00000000-0000-0000-0000-000000000000')),
    Parse: method(
      sig([param('input', T_STRING)], T_GUID, (_, [s]) => {
        const text = requireString(s, 'input').trim().replace(/^[{(]|[})]$/g, '');
        const dashed = /^[0-9a-f]{32}$/i.test(text) ? text.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5') : text;
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(dashed)) {
          throw new ExpressionRuntimeError('FormatException', 'Unrecognized Guid format.');
        }
        return new ClrGuid(dashed);
      }),
    ),
  },
};

// ---- enums ----

function enumMembers(t: ClrType, names: readonly string[]): TypeMembers {
  const statics: Record<string, MemberDef> = {};
  for (const n of names) statics[n] = constant(t, n);
  return {
    instance: {
      ToString: method(sig([], T_STRING, (v) => v)),
      Equals: method(sig([param('obj', T_OBJECT)], T_BOOL, (a, [b]) => a === b)),
    },
    static: statics,
  };
}

// ---- arrays and nullables (generic over their element) ----

/** Members of T[] (only what policies use: Length and the indexer). */
export function arrayMembers(element: ClrType): TypeMembers {
  return {
    instance: {
      Length: prop(T_INT, (a) => (a as unknown[]).length),
      ToString: method(sig([], T_STRING, () => `${typeName(element) === 'string' ? 'System.String' : typeName(element)}[]`)),
    },
    indexers: [
      sig([param('index', T_INT)], element, (a, [i]) => {
        const arr = a as unknown[];
        const at = i as number;
        if (at < 0 || at >= arr.length) throw indexOutOfRange();
        return arr[at];
      }),
    ],
    unsupported: ['Count', 'Contains', 'Any', 'First', 'FirstOrDefault', 'Last', 'LastOrDefault', 'Select', 'Where', 'ToList'],
  };
}

/** Members of Nullable<T>. */
export function nullableMembers(underlying: ClrType, underlyingToString: (v: unknown) => string): TypeMembers {
  const zero = underlying.kind === 'named' && underlying.def === BOOL ? false : 0;
  return {
    instance: {
      HasValue: prop(T_BOOL, (v) => v !== null),
      Value: prop(underlying, (v) => {
        if (v === null) throw invalidOperation('Nullable object must have a value.');
        return v;
      }),
      GetValueOrDefault: method(
        sig([], underlying, (v) => (v === null ? zero : v)),
        sig([param('defaultValue', underlying)], underlying, (v, [d]) => (v === null ? d : v)),
      ),
      ToString: method(sig([], T_STRING, (v) => (v === null ? '' : underlyingToString(v)))),
      Equals: method(sig([param('other', T_OBJECT)], T_BOOL, (a, [b]) => valueEquals(a, b))),
    },
  };
}

export const SYSTEM_MEMBERS: ReadonlyMap<TypeDef, TypeMembers> = new Map<TypeDef, TypeMembers>([
  [OBJECT, objectMembers],
  [STRING, stringMembers],
  [CHAR, charMembers],
  [BOOL, boolMembers],
  [INT, numberMembers(INT, T_INT)],
  [LONG, numberMembers(LONG, T_LONG)],
  [DOUBLE, numberMembers(DOUBLE, T_DOUBLE)],
  [MATH, mathMembers],
  [CONVERT, convertMembers],
  [DATETIME, dateTimeMembers],
  [TIMESPAN, timeSpanMembers],
  [GUID, guidMembers],
  [STRING_COMPARISON, enumMembers(T_COMPARISON, ['Ordinal', 'OrdinalIgnoreCase', 'CurrentCulture', 'CurrentCultureIgnoreCase', 'InvariantCulture', 'InvariantCultureIgnoreCase'])],
  [STRING_SPLIT_OPTIONS, enumMembers(T_SPLIT_OPTIONS, ['None', 'RemoveEmptyEntries', 'TrimEntries'])],
]);

/** Type names (C# keywords, .NET names, and full names) that resolve to these TypeDefs. */
export const SYSTEM_TYPE_NAMES: ReadonlyMap<string, TypeDef> = new Map<string, TypeDef>([
  ['object', OBJECT],
  ['Object', OBJECT],
  ['System.Object', OBJECT],
  ['string', STRING],
  ['String', STRING],
  ['System.String', STRING],
  ['char', CHAR],
  ['Char', CHAR],
  ['System.Char', CHAR],
  ['bool', BOOL],
  ['Boolean', BOOL],
  ['System.Boolean', BOOL],
  ['int', INT],
  ['Int32', INT],
  ['System.Int32', INT],
  ['long', LONG],
  ['Int64', LONG],
  ['System.Int64', LONG],
  ['double', DOUBLE],
  ['Double', DOUBLE],
  ['System.Double', DOUBLE],
  ['Math', MATH],
  ['System.Math', MATH],
  ['Convert', CONVERT],
  ['System.Convert', CONVERT],
  ['DateTime', DATETIME],
  ['System.DateTime', DATETIME],
  ['TimeSpan', TIMESPAN],
  ['System.TimeSpan', TIMESPAN],
  ['Guid', GUID],
  ['System.Guid', GUID],
  ['StringComparison', STRING_COMPARISON],
  ['System.StringComparison', STRING_COMPARISON],
  ['StringSplitOptions', STRING_SPLIT_OPTIONS],
  ['System.StringSplitOptions', STRING_SPLIT_OPTIONS],
]);

/** How a value of a named type prints via ToString(), by static type (used by nullables and formatting). */
export function toStringFor(def: TypeDef): (v: unknown) => string {
  if (def === DOUBLE) return (v) => formatDouble(v as number);
  if (def === INT || def === LONG) return (v) => String(v);
  return (v) => toDisplayString(v);
}
