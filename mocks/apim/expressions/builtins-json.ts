/**
 * Members of the Newtonsoft.Json.Linq types as policy expressions see them: indexers,
 * Value<T>(), ToString(), Type, ContainsKey/Count, and the static Parse methods. The
 * semantics themselves live in jtoken.ts; this file only describes signatures.
 */
import { JArray, JObject, JToken, JValue, indexToken, parseJArray, parseJObject, parseJsonText, tokenValueAs, wrapJson } from './jtoken.ts';
import type { TokenTarget } from './jtoken.ts';
import { argumentError, argumentNull } from './errors.ts';
import { constant, method, param, prop, sig } from './members.ts';
import type { GenericOverload, MemberDef, Signature, TypeMembers } from './members.ts';
import {
  BOOL,
  DOUBLE,
  FORMATTING,
  INT,
  JARRAY,
  JOBJECT,
  JTOKEN,
  JTOKEN_TYPE,
  JVALUE,
  LONG,
  STRING,
  T_BOOL,
  T_INT,
  T_JARRAY,
  T_JOBJECT,
  T_JTOKEN,
  T_OBJECT,
  T_STRING,
  named,
  typeName,
} from './types.ts';
import type { ClrType, TypeDef } from './types.ts';

const T_TOKEN_TYPE = named(JTOKEN_TYPE);
const T_FORMATTING = named(FORMATTING);

/** The T of Value<T>() that the emulator converts to, or undefined if T is not supported. */
function valueTarget(t: ClrType): { target: TokenTarget; nullable: boolean } | undefined {
  const def = t.kind === 'named' ? t.def : t.kind === 'nullable' ? t.underlying : undefined;
  const nullable = t.kind === 'nullable';
  const map = new Map<TypeDef, TokenTarget>([
    [STRING, 'string'],
    [BOOL, 'bool'],
    [INT, 'int'],
    [LONG, 'long'],
    [DOUBLE, 'double'],
  ]);
  const target = def === undefined ? undefined : map.get(def);
  if (target === undefined || (nullable && target === 'string')) return undefined;
  return { target, nullable };
}

const VALUE_T_MESSAGE = 'Value<T> supports T = string, bool, int, long, double and their nullable forms in this emulator';

/** token.Value<T>(key): convert the child at key (missing → default(T)). */
function valueWithKey(keyType: ClrType): GenericOverload {
  return {
    typeParams: 1,
    instantiate(typeArgs: ClrType[]): Signature | string {
      const t = typeArgs[0] as ClrType;
      const spec = valueTarget(t);
      if (spec === undefined) return `${VALUE_T_MESSAGE}, not '${typeName(t)}'`;
      return sig([param('key', keyType)], t, (token, [key]) => tokenValueAs(indexToken(token as JToken, key as string | number), spec.target, spec.nullable));
    },
  };
}

/** token.Value<T>() (Newtonsoft's Extensions.Value<U>): convert the token itself. */
const valueOfSelf: GenericOverload = {
  typeParams: 1,
  instantiate(typeArgs: ClrType[]): Signature | string {
    const t = typeArgs[0] as ClrType;
    const spec = valueTarget(t);
    if (spec === undefined) return `${VALUE_T_MESSAGE}, not '${typeName(t)}'`;
    return {
      ...sig([], t, (token) => {
        if (token === null) throw argumentError('Source value must be a JToken.');
        return tokenValueAs(token as JToken, spec.target, spec.nullable);
      }),
      extension: true,
    };
  },
};

const tokenInstance: Record<string, MemberDef> = {
  Type: prop(T_TOKEN_TYPE, (t) => (t as JToken).type),
  HasValues: prop(T_BOOL, (t) => (t instanceof JObject || t instanceof JArray ? t.count > 0 : false)),
  Value: method(valueWithKey(T_STRING), valueWithKey(T_INT), valueOfSelf),
  ToString: method(
    sig([], T_STRING, (t) => (t as JToken).toString()),
    sig([param('formatting', T_FORMATTING)], T_STRING, (t, [f]) => (t as JToken).toString(f !== 'None')),
  ),
};

// Declared on JToken only: like Newtonsoft's this[object key], obj[0] on a JObject compiles and
// fails at run time, and JObject/JArray inherit these.
const tokenIndexers: Signature[] = [
  sig([param('key', T_STRING)], T_JTOKEN, (t, [k]) => indexToken(t as JToken, k as string)),
  sig([param('index', T_INT)], T_JTOKEN, (t, [i]) => indexToken(t as JToken, i as number)),
];

function parseWith(make: (raw: unknown) => JToken): Signature {
  return sig([param('json', T_STRING)], T_JTOKEN, (_, [s]) => {
    if (s === null) throw argumentNull('json');
    return make(parseJsonText(s as string));
  });
}

const UNSUPPORTED_TOKEN_MEMBERS = ['SelectToken', 'SelectTokens', 'Children', 'Parent', 'Root', 'Path', 'First', 'Last', 'Next', 'Previous', 'ToObject', 'DeepClone', 'Remove', 'Replace', 'AddAfterSelf'];

export const JSON_MEMBERS: ReadonlyMap<TypeDef, TypeMembers> = new Map<TypeDef, TypeMembers>([
  [
    JTOKEN,
    {
      instance: tokenInstance,
      indexers: tokenIndexers,
      static: { Parse: method(parseWith(wrapJson)) },
      unsupported: UNSUPPORTED_TOKEN_MEMBERS,
    },
  ],
  [
    JOBJECT,
    {
      instance: {
        ContainsKey: method(sig([param('propertyName', T_STRING)], T_BOOL, (o, [k]) => (o as JObject).has(k as string))),
        Count: prop(T_INT, (o) => (o as JObject).count),
      },
      static: { Parse: method({ ...parseWith(parseJObject), returns: T_JOBJECT }) },
      unsupported: ['Property', 'Properties', 'TryGetValue', 'Add', 'Remove', 'Merge', 'FromObject'],
    },
  ],
  [
    JARRAY,
    {
      instance: { Count: prop(T_INT, (a) => (a as JArray).count) },
      static: { Parse: method({ ...parseWith(parseJArray), returns: T_JARRAY }) },
      unsupported: ['Add', 'Remove', 'Insert', 'Clear', 'FromObject'],
    },
  ],
  [JVALUE, { instance: { Value: prop(T_OBJECT, (v) => (v as JValue).value) } }],
  [
    JTOKEN_TYPE,
    {
      instance: { ToString: method(sig([], T_STRING, (v) => v)) },
      static: Object.fromEntries(
        ['None', 'Object', 'Array', 'Constructor', 'Property', 'Comment', 'Integer', 'Float', 'String', 'Boolean', 'Null', 'Undefined', 'Date', 'Raw', 'Bytes', 'Guid', 'Uri', 'TimeSpan'].map(
          (n) => [n, constant(T_TOKEN_TYPE, n)],
        ),
      ),
    },
  ],
  [FORMATTING, { static: { None: constant(T_FORMATTING, 'None'), Indented: constant(T_FORMATTING, 'Indented') } }],
]);

export const JSON_TYPE_NAMES: ReadonlyMap<string, TypeDef> = new Map<string, TypeDef>(
  [JTOKEN, JOBJECT, JARRAY, JVALUE, JTOKEN_TYPE].flatMap((d): [string, TypeDef][] => [
    [d.name, d],
    [d.clrName, d],
  ]).concat([
    ['Formatting', FORMATTING],
    ['Newtonsoft.Json.Formatting', FORMATTING],
  ]),
);
