/**
 * Read-only emulation of Newtonsoft.Json.Linq (JToken, JObject, JArray, JValue), the JSON API
 * APIM exposes through Body.As<JObject>(). AI-gateway policies read the model name and the
 * stream flag with it, and the corner cases matter: a missing property is C# null, but a
 * property holding JSON null is a JValue of type Null, so `body["stream"] != null` is true
 * for `"stream": null` and `(bool)body["stream"]` then throws.
 *
 * The wrappers sit over the output of JSON.parse and wrap children lazily (cached, so the
 * same child is the same object twice, as in Newtonsoft), which keeps a large chat request
 * cheap when a policy only reads one property. They never mutate the parsed data, so one
 * parse can be shared by every expression of a request.
 *
 * Not modelled: integer-vs-float distinction of integral floats (1.0 reads as Integer),
 * integers beyond 2^53, dates (Newtonsoft's DateParseHandling), comments in JSON.
 */
import { argumentError, argumentNull, argumentOutOfRange, ExpressionRuntimeError, invalidCast, overflow } from './errors.ts';
import { doubleToInteger, formatBool, formatDouble, parseBool, parseDouble, parseInteger } from './clr-values.ts';

export type JTokenType = 'Object' | 'Array' | 'String' | 'Integer' | 'Float' | 'Boolean' | 'Null';

/** Base class: lets the evaluator test `instanceof JToken` for casts and runtime type names. */
export abstract class JToken {
  abstract readonly type: JTokenType;
  /** Newtonsoft's ToString(): indented JSON for containers, the bare value for JValues. */
  abstract toString(indented?: boolean): string;
  /** The plain JSON value this token stands for (for re-serialisation). */
  abstract toJson(): unknown;
}

export class JObject extends JToken {
  readonly type = 'Object' as const;
  readonly #raw: Record<string, unknown>;
  readonly #children = new Map<string, JToken>();

  constructor(raw: Record<string, unknown>) {
    super();
    this.#raw = raw;
  }

  /** The property's token, or null (C# null) when there is no such property. */
  get(name: string): JToken | null {
    const cached = this.#children.get(name);
    if (cached !== undefined) return cached;
    if (!Object.hasOwn(this.#raw, name)) return null;
    const child = wrapJson(this.#raw[name]);
    this.#children.set(name, child);
    return child;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.#raw, name);
  }

  get count(): number {
    return Object.keys(this.#raw).length;
  }

  override toString(indented = true): string {
    return JSON.stringify(this.#raw, null, indented ? 2 : undefined);
  }

  toJson(): unknown {
    return this.#raw;
  }
}

export class JArray extends JToken {
  readonly type = 'Array' as const;
  readonly #raw: unknown[];
  readonly #children: (JToken | undefined)[] = [];

  constructor(raw: unknown[]) {
    super();
    this.#raw = raw;
  }

  at(index: number): JToken {
    if (index < 0 || index >= this.#raw.length || !Number.isInteger(index)) {
      throw argumentOutOfRange('index', 'Index was out of range. Must be non-negative and less than the size of the collection.');
    }
    let child = this.#children[index];
    if (child === undefined) {
      child = wrapJson(this.#raw[index]);
      this.#children[index] = child;
    }
    return child;
  }

  get count(): number {
    return this.#raw.length;
  }

  override toString(indented = true): string {
    return JSON.stringify(this.#raw, null, indented ? 2 : undefined);
  }

  toJson(): unknown {
    return this.#raw;
  }
}

export class JValue extends JToken {
  readonly type: 'String' | 'Integer' | 'Float' | 'Boolean' | 'Null';
  readonly value: string | number | boolean | null;

  constructor(value: string | number | boolean | null, type?: 'Integer' | 'Float') {
    super();
    this.value = value;
    if (value === null) this.type = 'Null';
    else if (typeof value === 'string') this.type = 'String';
    else if (typeof value === 'boolean') this.type = 'Boolean';
    // JSON.parse cannot say whether "2" or "2.0" was written; integral values in the safe
    // range read as Integer, anything larger (1e21) as Float, as Newtonsoft reads exponents.
    else this.type = type ?? (Number.isSafeInteger(value) ? 'Integer' : 'Float');
  }

  override toString(): string {
    const v = this.value;
    if (v === null) return '';
    if (typeof v === 'boolean') return formatBool(v);
    if (typeof v === 'number') return this.type === 'Integer' ? String(v) : formatDouble(v);
    return v;
  }

  toJson(): unknown {
    return this.value;
  }
}

/** Wraps one JSON.parse result as a token. */
export function wrapJson(raw: unknown): JToken {
  if (raw === null || raw === undefined) return new JValue(null);
  if (Array.isArray(raw)) return new JArray(raw);
  if (typeof raw === 'object') return new JObject(raw as Record<string, unknown>);
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return new JValue(raw);
  return new JValue(String(raw));
}

/** Newtonsoft's GetType(token) in conversion messages: the JTokenType name. */
function tokenTypeName(token: JToken): string {
  return token.type;
}

export function clrTypeNameOfToken(token: JToken): string {
  if (token instanceof JObject) return 'Newtonsoft.Json.Linq.JObject';
  if (token instanceof JArray) return 'Newtonsoft.Json.Linq.JArray';
  return 'Newtonsoft.Json.Linq.JValue';
}

// ---- JToken indexer: this[object key] ----

/** `token[key]` with Newtonsoft's errors: JValue has no children, JObject needs a string key, JArray an int. */
export function indexToken(token: JToken, key: string | number): JToken | null {
  if (token instanceof JObject) {
    if (typeof key !== 'string') throw argumentError(`Accessed JObject values with invalid key value: ${key}. Object property name expected.`);
    return token.get(key);
  }
  if (token instanceof JArray) {
    if (typeof key !== 'number') throw argumentError(`Accessed JArray values with invalid key value: "${key}". Int32 array index expected.`);
    return token.at(key);
  }
  throw new ExpressionRuntimeError('InvalidOperationException', `Cannot access child value on ${clrTypeNameOfToken(token)}.`);
}

// ---- explicit conversion operators: (string)token, (bool)token, (int?)token, ... ----

/** The primitive CLR types a token can be converted to. */
export type TokenTarget = 'string' | 'bool' | 'int' | 'long' | 'double';

const TARGET_CLR_NAMES: Record<TokenTarget, string> = {
  string: 'String',
  bool: 'Boolean',
  int: 'Int32',
  long: 'Int64',
  double: 'Double',
};

/**
 * Newtonsoft's `explicit operator T(JToken)`: null token → ArgumentNullException for value
 * types and null for string/nullable; JSON null → null for nullable targets, otherwise
 * "Can not convert Null to Boolean."; containers can never convert.
 */
export function castToken(token: JToken | null, target: TokenTarget, nullable: boolean): unknown {
  if (token === null) {
    if (target === 'string' || nullable) return null;
    throw argumentNull('value');
  }
  const cannot = (): ExpressionRuntimeError => argumentError(`Can not convert ${tokenTypeName(token)} to ${TARGET_CLR_NAMES[target]}.`);
  if (!(token instanceof JValue)) throw cannot();
  const v = token.value;
  if (v === null) {
    if (target === 'string' || nullable) return null;
    throw cannot();
  }
  switch (target) {
    case 'string':
      return token.toString();
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      return parseBool(v);
    case 'int':
    case 'long': {
      const bits = target === 'int' ? 32 : 64;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number') return doubleToInteger(v, bits);
      return parseInteger(v, bits);
    }
    case 'double':
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number') return v;
      return parseDouble(v);
  }
}

/**
 * Newtonsoft's Extensions.Convert<JToken, U> behind token.Value<U>() and obj.Value<U>(key):
 * a missing token gives default(U) (null, false or 0 — no exception), JSON null gives null
 * for reference/nullable U and InvalidCastException for value types, and other values go
 * through Convert.ChangeType.
 */
export function tokenValueAs(token: JToken | null, target: TokenTarget, nullable: boolean): unknown {
  if (token === null) return defaultOf(target, nullable);
  if (!(token instanceof JValue)) {
    throw new ExpressionRuntimeError('InvalidCastException', `Cannot cast ${clrTypeNameOfToken(token)} to Newtonsoft.Json.Linq.JToken.`);
  }
  const v = token.value;
  if (v === null) {
    if (target === 'string' || nullable) return null;
    throw new ExpressionRuntimeError('InvalidCastException', 'Null object cannot be converted to a value type.');
  }
  switch (target) {
    case 'string':
      return typeof v === 'string' ? v : token.toString();
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      return parseBool(v);
    case 'int':
    case 'long': {
      const bits = target === 'int' ? 32 : 64;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number') {
        if (token.type === 'Integer') {
          const [min, max] = bits === 32 ? [-2147483648, 2147483647] : [-9223372036854775808, 9223372036854775807];
          if (v < min || v > max) throw overflow(bits === 32 ? 'Int32' : 'Int64');
          return v;
        }
        return doubleToInteger(v, bits);
      }
      return parseInteger(v, bits);
    }
    case 'double':
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number') return v;
      return parseDouble(v);
  }
}

function defaultOf(target: TokenTarget, nullable: boolean): unknown {
  if (nullable || target === 'string') return null;
  return target === 'bool' ? false : 0;
}

/** Reference downcast `(JObject)token` / `(JArray)token`. */
export function downcastToken(token: JToken | null, target: 'JObject' | 'JArray' | 'JValue'): JToken | null {
  if (token === null) return null;
  const ok = target === 'JObject' ? token instanceof JObject : target === 'JArray' ? token instanceof JArray : token instanceof JValue;
  if (!ok) throw invalidCast(clrTypeNameOfToken(token), `Newtonsoft.Json.Linq.${target}`);
  return token;
}

// ---- parsing (JObject.Parse, Body.As<JObject>()) ----

/**
 * JSON.parse wrapped to raise Newtonsoft's JsonReaderException instead of a JS SyntaxError.
 * The position wording is approximate: JS engines do not report line/column uniformly.
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const trimmed = text.trimStart();
    const first = trimmed[0];
    const detail = first === undefined ? 'Unexpected end when reading JSON.' : `Unexpected character encountered while parsing value: ${first}.`;
    throw new ExpressionRuntimeError('JsonReaderException', `${detail} Path '', line 1, position ${first === undefined ? 0 : 1}.`);
  }
}

/** JObject.Parse / As<JObject>: the top-level value must be an object. */
export function parseJObject(raw: unknown): JObject {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const kind = Array.isArray(raw) ? 'StartArray' : raw === null ? 'Null' : typeof raw === 'string' ? 'String' : typeof raw === 'boolean' ? 'Boolean' : 'Integer';
    throw new ExpressionRuntimeError(
      'JsonReaderException',
      `Error reading JObject from JsonReader. Current JsonReader item is not an object: ${kind}. Path '', line 1, position 1.`,
    );
  }
  return new JObject(raw as Record<string, unknown>);
}

/** JArray.Parse / As<JArray>: the top-level value must be an array. */
export function parseJArray(raw: unknown): JArray {
  if (!Array.isArray(raw)) {
    const kind = raw === null ? 'Null' : typeof raw === 'object' ? 'StartObject' : typeof raw === 'string' ? 'String' : typeof raw === 'boolean' ? 'Boolean' : 'Integer';
    throw new ExpressionRuntimeError(
      'JsonReaderException',
      `Error reading JArray from JsonReader. Current JsonReader item is not an array: ${kind}. Path '', line 1, position 1.`,
    );
  }
  return new JArray(raw);
}

/** Newtonsoft's implicit conversions string/bool/number → JToken (a new JValue). */
export function tokenFromPrimitive(value: string | number | boolean | null, integral: boolean): JToken {
  return new JValue(value, typeof value === 'number' ? (integral ? 'Integer' : 'Float') : undefined);
}
