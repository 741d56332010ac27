/**
 * C# conversions between the supported types: which are implicit (allowed silently, e.g.
 * int → double, JObject → JToken, string → JToken), which need a cast (double → int,
 * object → string, JToken → bool), and what each does at run time, including the .NET
 * exceptions a failing cast raises. Also object.ToString(), which string concatenation uses.
 */
import { invalidCast, invalidOperation, nullReference } from './errors.ts';
import { ClrDateTime, ClrGuid, ClrTimeSpan, formatBool, formatDateTime, formatDouble, formatGuid, formatTimeSpan, truncateToInteger } from './clr-values.ts';
import { JArray, JObject, JToken, JValue, castToken, clrTypeNameOfToken, downcastToken, tokenFromPrimitive } from './jtoken.ts';
import type { TokenTarget } from './jtoken.ts';
import {
  BOOL,
  CHAR,
  DATETIME,
  DOUBLE,
  GUID,
  INT,
  JARRAY,
  JOBJECT,
  JTOKEN,
  JVALUE,
  LONG,
  OBJECT,
  STRING,
  TIMESPAN,
  canBeNull,
  clrTypeName,
  derivesFrom,
  isReferenceType,
  sameType,
  underlyingDef,
} from './types.ts';
import type { ClrType, TypeDef } from './types.ts';

export type Apply = (value: unknown) => unknown;

export interface Conversion {
  /** Lower is better; overload resolution prefers the candidate with the cheapest conversions. */
  cost: number;
  /** Undefined when the run-time value needs no change. */
  apply: Apply | undefined;
}

const IDENTITY: Conversion = { cost: 0, apply: undefined };

function conv(cost: number, apply?: Apply): Conversion {
  return { cost, apply };
}

const INT_RANGE = [-2147483648, 2147483647] as const;

// ---- run-time type tests ----

/** The .NET type name of a run-time value, for InvalidCastException messages. */
export function runtimeTypeName(value: unknown): string {
  if (typeof value === 'string') return 'System.String';
  if (typeof value === 'boolean') return 'System.Boolean';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'System.Double';
    return value >= INT_RANGE[0] && value <= INT_RANGE[1] ? 'System.Int32' : 'System.Int64';
  }
  if (value instanceof JToken) return clrTypeNameOfToken(value);
  if (value instanceof ClrDateTime) return 'System.DateTime';
  if (value instanceof ClrTimeSpan) return 'System.TimeSpan';
  if (value instanceof ClrGuid) return 'System.Guid';
  if (Array.isArray(value)) return 'System.String[]';
  return 'System.Object';
}

/**
 * Is a (non-null) run-time value an instance of the type? Numbers carry no int/long/double
 * tag, so an integral number passes as int (when in range), long or double, and a
 * fractional one only as double: APIM would reject unboxing a boxed int as double, the
 * emulator does not.
 */
export function isInstanceOf(value: unknown, t: ClrType): boolean {
  if (value === null || value === undefined) return false;
  if (t.kind === 'array') return Array.isArray(value);
  const def = underlyingDef(t);
  if (def === undefined) return false;
  if (def.isInstance !== undefined) return def.isInstance(value);
  switch (def) {
    case OBJECT:
      return true;
    case STRING:
      return typeof value === 'string';
    case BOOL:
      return typeof value === 'boolean';
    case INT:
      return typeof value === 'number' && Number.isInteger(value) && value >= INT_RANGE[0] && value <= INT_RANGE[1];
    case LONG:
      return typeof value === 'number' && Number.isInteger(value);
    case DOUBLE:
      return typeof value === 'number';
    case DATETIME:
      return value instanceof ClrDateTime;
    case TIMESPAN:
      return value instanceof ClrTimeSpan;
    case GUID:
      return value instanceof ClrGuid;
    case JTOKEN:
      return value instanceof JToken;
    case JOBJECT:
      return value instanceof JObject;
    case JARRAY:
      return value instanceof JArray;
    case JVALUE:
      return value instanceof JValue;
    default:
      // Enums are their member names; a char is a one-character string but never boxed here.
      return def.isEnum && typeof value === 'string';
  }
}

/** `(T)obj` from object or another base type: unboxing or a checked reference cast. */
export function castFromObject(t: ClrType): Apply {
  const nullOk = canBeNull(t);
  const target = clrTypeName(t.kind === 'nullable' ? { kind: 'named', def: t.underlying } : t);
  return (value) => {
    if (value === null || value === undefined) {
      if (nullOk) return null;
      throw nullReference();
    }
    if (!isInstanceOf(value, t)) throw invalidCast(runtimeTypeName(value), target);
    return value;
  };
}

// ---- ToString ----

/**
 * object.ToString() of a run-time value, as string concatenation and interpolation use it
 * (null becomes ""). `integral` says the static type is int or long, so 1e15 prints as a
 * whole number rather than in double's exponent form.
 */
export function toDisplayString(value: unknown, integral = false): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return formatBool(value);
  if (typeof value === 'number') {
    if (integral || (Number.isInteger(value) && Math.abs(value) < 2 ** 53)) return String(value);
    return formatDouble(value);
  }
  if (value instanceof JToken) return value.toString();
  if (value instanceof ClrDateTime) return formatDateTime(value);
  if (value instanceof ClrTimeSpan) return formatTimeSpan(value);
  if (value instanceof ClrGuid) return formatGuid(value);
  if (Array.isArray(value)) return 'System.String[]';
  return String(value);
}

// ---- classification ----

function tokenTarget(def: TypeDef): TokenTarget | undefined {
  if (def === STRING) return 'string';
  if (def === BOOL) return 'bool';
  if (def === INT) return 'int';
  if (def === LONG) return 'long';
  if (def === DOUBLE) return 'double';
  return undefined;
}

const NUMERIC_WIDENING: Record<string, Record<string, number>> = {
  int: { long: 1, double: 2 },
  long: { double: 2 },
};

function charCode(v: unknown): unknown {
  return v === null ? null : (v as string).charCodeAt(0);
}

/** Implicit conversion from → to, or undefined if C# would not convert silently. */
export function implicitConversion(from: ClrType, to: ClrType): Conversion | undefined {
  if (sameType(from, to)) return IDENTITY;
  if (to.kind === 'void' || from.kind === 'void') return undefined;
  if (from.kind === 'null') return canBeNull(to) && to.kind !== 'null' ? conv(1) : undefined;

  const toDef = underlyingDef(to);
  const fromDef = underlyingDef(from);

  // Anything converts to object (boxing or reference conversion).
  if (to.kind === 'named' && to.def === OBJECT) return conv(3);

  // Numeric widening, optionally into a nullable target (int → long, int → double?, char → int).
  if (fromDef !== undefined && toDef !== undefined && (fromDef.numeric !== undefined || fromDef === CHAR) && toDef.numeric !== undefined) {
    if (from.kind === 'nullable' && to.kind !== 'nullable') return undefined;
    const wrap = to.kind === 'nullable' && from.kind === 'named' ? 1 : 0;
    if (fromDef === CHAR) return conv(2 + wrap, charCode);
    if (fromDef === toDef) return conv(wrap);
    const cost = NUMERIC_WIDENING[fromDef.numeric as string]?.[toDef.numeric];
    return cost === undefined ? undefined : conv(cost + wrap);
  }

  // T → T? for other value types.
  if (from.kind === 'named' && to.kind === 'nullable' && from.def === to.underlying) return conv(1);

  // Reference conversions up the hierarchy (JObject → JToken).
  if (from.kind === 'named' && to.kind === 'named' && !from.def.valueType && !to.def.valueType && derivesFrom(from.def, to.def)) {
    return conv(1);
  }

  // Newtonsoft's implicit operators into JToken from primitives (creates a JValue).
  if (to.kind === 'named' && to.def === JTOKEN && fromDef !== undefined && tokenTarget(fromDef) !== undefined) {
    const integral = fromDef.numeric === 'int' || fromDef.numeric === 'long';
    return conv(4, (v) => tokenFromPrimitive(v as string | number | boolean | null, integral));
  }
  return undefined;
}

/** Conversion allowed by a cast `(to)from`: every implicit one plus the explicit ones. */
export function explicitConversion(from: ClrType, to: ClrType): Conversion | undefined {
  const implicit = implicitConversion(from, to);
  if (implicit !== undefined) return implicit;
  if (to.kind === 'void' || from.kind === 'void' || from.kind === 'null') return undefined;

  const toDef = underlyingDef(to);
  const fromDef = underlyingDef(from);

  // Unboxing and downcasts from object.
  if (from.kind === 'named' && from.def === OBJECT) return conv(5, castFromObject(to));

  // Numeric narrowing (with nullable on either side).
  if (fromDef !== undefined && toDef !== undefined && (fromDef.numeric !== undefined || fromDef === CHAR) && (toDef.numeric !== undefined || toDef === CHAR)) {
    const narrow = numericNarrowing(fromDef, toDef);
    const toNullable = to.kind === 'nullable';
    return conv(5, (v) => {
      if (v === null) {
        if (toNullable) return null;
        throw invalidOperation('Nullable object must have a value.');
      }
      return narrow === undefined ? v : narrow(v);
    });
  }

  // T? → T for other value types.
  if (from.kind === 'nullable' && to.kind === 'named' && from.underlying === to.def) {
    return conv(5, (v) => {
      if (v === null) throw invalidOperation('Nullable object must have a value.');
      return v;
    });
  }

  // JToken → primitive (Newtonsoft's explicit operators) and JToken → JObject/JArray/JValue.
  if (from.kind === 'named' && derivesFrom(from.def, JTOKEN)) {
    if (toDef !== undefined && tokenTarget(toDef) !== undefined) {
      const target = tokenTarget(toDef) as TokenTarget;
      const nullable = to.kind === 'nullable';
      return conv(5, (v) => castToken(v as JToken | null, target, nullable));
    }
    if (to.kind === 'named' && (to.def === JOBJECT || to.def === JARRAY || to.def === JVALUE)) {
      const name = to.def.name as 'JObject' | 'JArray' | 'JValue';
      return conv(5, (v) => downcastToken(v as JToken | null, name));
    }
    return undefined;
  }

  // Other reference downcasts (checked at run time).
  if (from.kind === 'named' && to.kind === 'named' && !from.def.valueType && !to.def.valueType && derivesFrom(to.def, from.def)) {
    return conv(5, castFromObject(to));
  }
  return undefined;
}

function numericNarrowing(from: TypeDef, to: TypeDef): Apply | undefined {
  if (to === CHAR) {
    if (from === CHAR) return undefined;
    return (v) => String.fromCharCode((v as number) & 0xffff);
  }
  if (from === CHAR) return (v) => (v as string).charCodeAt(0);
  if (to.numeric === 'double') return undefined;
  const bits = to.numeric === 'int' ? 32 : 64;
  if (from.numeric === 'double') return (v) => truncateToInteger(v as number, bits);
  if (from.numeric === 'long' && bits === 32) return (v) => truncateToInteger(v as number, 32);
  return undefined;
}

/** Is `t` a type an `as` operator may target (reference or nullable)? */
export function canUseAs(t: ClrType): boolean {
  return isReferenceType(t) || t.kind === 'nullable';
}

/** default(T): what a missing value reads as (GetValueOrDefault<T> without a default, `int x;`). */
export function defaultValueOf(t: ClrType): unknown {
  if (t.kind !== 'named' || !t.def.valueType) return null;
  switch (t.def) {
    case BOOL:
      return false;
    case CHAR:
      return '\0';
    case DATETIME:
      return new ClrDateTime(-62135596800000);
    case TIMESPAN:
      return new ClrTimeSpan(0);
    case GUID:
      return new ClrGuid('00000000-0000-0000-0000-000000000000');
    default:
      return t.def.numeric !== undefined ? 0 : null;
  }
}
