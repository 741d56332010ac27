/**
 * The static types the compiler checks expressions against. C# is statically typed, and
 * checking types at load time is what lets the emulator reject `context.Reqest` or
 * `context.Request.Headers.Foo()` when the policy is loaded, instead of on the first request.
 *
 * A TypeDef is one named .NET type (string, int, JObject, IRequest, ...); a ClrType is a use
 * of one, possibly nullable (int?) or an array (string[]). Members live elsewhere (see
 * members.ts) so this file has no dependency on the built-in libraries.
 */

export interface TypeDef {
  /** Name as C# compiler messages write it: 'string', 'int', 'JObject', 'IRequest'. */
  readonly name: string;
  /** Full .NET name, as runtime cast messages write it: 'System.String'. */
  readonly clrName: string;
  readonly valueType: boolean;
  /** Base class (JObject → JToken); every type ultimately converts to object. */
  readonly base: TypeDef | undefined;
  readonly isEnum: boolean;
  /** Numeric types, by promotion rank. */
  readonly numeric: 'int' | 'long' | 'double' | undefined;
  /**
   * Run-time type test for types whose values are not covered by the core representation
   * (the context interfaces): used by casts from object, `is` and `as`.
   */
  readonly isInstance: ((value: unknown) => boolean) | undefined;
}

export type ClrType =
  | { readonly kind: 'named'; readonly def: TypeDef }
  | { readonly kind: 'nullable'; readonly underlying: TypeDef }
  | { readonly kind: 'array'; readonly element: ClrType }
  /** The type of the `null` literal. */
  | { readonly kind: 'null' }
  /** The result of a method that returns nothing. */
  | { readonly kind: 'void' };

interface TypeDefInit {
  name: string;
  clrName: string;
  valueType?: boolean;
  base?: TypeDef;
  isEnum?: boolean;
  numeric?: 'int' | 'long' | 'double';
  isInstance?: (value: unknown) => boolean;
}

export function defineType(init: TypeDefInit): TypeDef {
  return {
    name: init.name,
    clrName: init.clrName,
    valueType: init.valueType ?? false,
    base: init.base,
    isEnum: init.isEnum ?? false,
    numeric: init.numeric,
    isInstance: init.isInstance,
  };
}

// ---- the core .NET types ----

export const OBJECT = defineType({ name: 'object', clrName: 'System.Object' });
export const STRING = defineType({ name: 'string', clrName: 'System.String' });
export const CHAR = defineType({ name: 'char', clrName: 'System.Char', valueType: true });
export const BOOL = defineType({ name: 'bool', clrName: 'System.Boolean', valueType: true });
export const INT = defineType({ name: 'int', clrName: 'System.Int32', valueType: true, numeric: 'int' });
export const LONG = defineType({ name: 'long', clrName: 'System.Int64', valueType: true, numeric: 'long' });
export const DOUBLE = defineType({ name: 'double', clrName: 'System.Double', valueType: true, numeric: 'double' });
export const DATETIME = defineType({ name: 'DateTime', clrName: 'System.DateTime', valueType: true });
export const TIMESPAN = defineType({ name: 'TimeSpan', clrName: 'System.TimeSpan', valueType: true });
export const GUID = defineType({ name: 'Guid', clrName: 'System.Guid', valueType: true });

export const STRING_COMPARISON = defineType({ name: 'StringComparison', clrName: 'System.StringComparison', valueType: true, isEnum: true });
export const STRING_SPLIT_OPTIONS = defineType({ name: 'StringSplitOptions', clrName: 'System.StringSplitOptions', valueType: true, isEnum: true });

export const JTOKEN = defineType({ name: 'JToken', clrName: 'Newtonsoft.Json.Linq.JToken' });
export const JOBJECT = defineType({ name: 'JObject', clrName: 'Newtonsoft.Json.Linq.JObject', base: JTOKEN });
export const JARRAY = defineType({ name: 'JArray', clrName: 'Newtonsoft.Json.Linq.JArray', base: JTOKEN });
export const JVALUE = defineType({ name: 'JValue', clrName: 'Newtonsoft.Json.Linq.JValue', base: JTOKEN });
export const JTOKEN_TYPE = defineType({ name: 'JTokenType', clrName: 'Newtonsoft.Json.Linq.JTokenType', valueType: true, isEnum: true });
export const FORMATTING = defineType({ name: 'Formatting', clrName: 'Newtonsoft.Json.Formatting', valueType: true, isEnum: true });

// Static-only classes: they appear as the target of static member access, never as values.
export const MATH = defineType({ name: 'Math', clrName: 'System.Math' });
export const CONVERT = defineType({ name: 'Convert', clrName: 'System.Convert' });

export function named(def: TypeDef): ClrType {
  return { kind: 'named', def };
}

export const T_OBJECT = named(OBJECT);
export const T_STRING = named(STRING);
export const T_CHAR = named(CHAR);
export const T_BOOL = named(BOOL);
export const T_INT = named(INT);
export const T_LONG = named(LONG);
export const T_DOUBLE = named(DOUBLE);
export const T_DATETIME = named(DATETIME);
export const T_TIMESPAN = named(TIMESPAN);
export const T_GUID = named(GUID);
export const T_JTOKEN = named(JTOKEN);
export const T_JOBJECT = named(JOBJECT);
export const T_JARRAY = named(JARRAY);
export const T_STRING_ARRAY: ClrType = { kind: 'array', element: T_STRING };
export const T_CHAR_ARRAY: ClrType = { kind: 'array', element: T_CHAR };
export const T_NULL: ClrType = { kind: 'null' };
export const T_VOID: ClrType = { kind: 'void' };

export function nullableOf(t: ClrType): ClrType {
  if (t.kind === 'named' && t.def.valueType) return { kind: 'nullable', underlying: t.def };
  return t;
}

export function arrayOf(t: ClrType): ClrType {
  return { kind: 'array', element: t };
}

// ---- queries ----

export function typeName(t: ClrType): string {
  switch (t.kind) {
    case 'named':
      return t.def.name;
    case 'nullable':
      return `${t.underlying.name}?`;
    case 'array':
      return `${typeName(t.element)}[]`;
    case 'null':
      return '<null>';
    case 'void':
      return 'void';
  }
}

/** The .NET full name, for runtime messages ("System.String[]", "System.Nullable`1[System.Int32]"). */
export function clrTypeName(t: ClrType): string {
  switch (t.kind) {
    case 'named':
      return t.def.clrName;
    case 'nullable':
      return `System.Nullable\`1[${t.underlying.clrName}]`;
    case 'array':
      return `${clrTypeName(t.element)}[]`;
    case 'null':
    case 'void':
      return 'System.Object';
  }
}

export function sameType(a: ClrType, b: ClrType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'named':
      return a.def === (b as { def: TypeDef }).def;
    case 'nullable':
      return a.underlying === (b as { underlying: TypeDef }).underlying;
    case 'array':
      return sameType(a.element, (b as { element: ClrType }).element);
    default:
      return true;
  }
}

/** Can a value of this type be null? (reference types, nullable value types, the null type) */
export function canBeNull(t: ClrType): boolean {
  if (t.kind === 'named') return !t.def.valueType;
  return t.kind !== 'void';
}

export function isReferenceType(t: ClrType): boolean {
  return (t.kind === 'named' && !t.def.valueType) || t.kind === 'array';
}

export function isNonNullableValueType(t: ClrType): boolean {
  return t.kind === 'named' && t.def.valueType;
}

/** The TypeDef behind T and T? alike; undefined for arrays, null and void. */
export function underlyingDef(t: ClrType): TypeDef | undefined {
  if (t.kind === 'named') return t.def;
  if (t.kind === 'nullable') return t.underlying;
  return undefined;
}

export function isNumeric(t: ClrType): boolean {
  return underlyingDef(t)?.numeric !== undefined;
}

export function isIntegral(t: ClrType): boolean {
  const n = underlyingDef(t)?.numeric;
  return n === 'int' || n === 'long';
}

export function isString(t: ClrType): boolean {
  return t.kind === 'named' && t.def === STRING;
}

export function isBool(t: ClrType): boolean {
  return t.kind === 'named' && t.def === BOOL;
}

/** Is `def` the same as or derived from `base`? */
export function derivesFrom(def: TypeDef, base: TypeDef): boolean {
  for (let d: TypeDef | undefined = def; d !== undefined; d = d.base) if (d === base) return true;
  return false;
}

const NUMERIC_RANK = { int: 0, long: 1, double: 2 } as const;

/** Binary numeric promotion: int+int→int, int+long→long, anything+double→double. */
export function promoteNumeric(a: TypeDef, b: TypeDef): TypeDef {
  const ra = NUMERIC_RANK[a.numeric ?? 'double'];
  const rb = NUMERIC_RANK[b.numeric ?? 'double'];
  const r = Math.max(ra, rb);
  return r === 0 ? INT : r === 1 ? LONG : DOUBLE;
}
