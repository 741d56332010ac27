/**
 * The `context` object model: APIM's IContext and the interfaces it hands out (IRequest,
 * IResponse, IUrl, IMessageBody, ...), each reading straight from the PolicyContextView the
 * policy engine supplies. Member lists follow the APIM policy-expression reference; members
 * it lists that the emulator does not implement are declared as unsupported so the error
 * says so rather than calling them unknown.
 */
import { ExpressionRuntimeError, keyNotFound } from './errors.ts';
import { ClrDateTime, ClrGuid, ClrTimeSpan } from './clr-values.ts';
import { castFromObject, defaultValueOf } from './conversions.ts';
import { parseJArray, parseJObject, wrapJson } from './jtoken.ts';
import { method, param, prop, sig } from './members.ts';
import type { GenericOverload, MemberDef, Signature, TypeMembers } from './members.ts';
import type {
  MessageBodyView,
  MultiValueMapView,
  PolicyContextView,
  RequestView,
  ResponseView,
  UrlView,
} from './context-types.ts';
import {
  T_BOOL,
  T_DATETIME,
  T_GUID,
  T_INT,
  T_JARRAY,
  T_JOBJECT,
  T_JTOKEN,
  T_OBJECT,
  T_STRING,
  T_STRING_ARRAY,
  T_TIMESPAN,
  defineType,
  named,
  sameType,
  typeName,
} from './types.ts';
import type { ClrType, TypeDef } from './types.ts';

// ---- the interface types ----

export const CONTEXT = defineType({ name: 'IContext', clrName: 'IContext' });
export const REQUEST = defineType({ name: 'IRequest', clrName: 'IRequest' });
export const RESPONSE = defineType({
  name: 'IResponse',
  clrName: 'IResponse',
  // A send-request response stored in a variable is a ResponseView; recognise it structurally.
  isInstance: (v) =>
    typeof v === 'object' && v !== null && typeof (v as ResponseView).statusCode === 'number' && typeof (v as ResponseView).headers?.get === 'function',
});
export const URL = defineType({ name: 'IUrl', clrName: 'IUrl' });
export const MESSAGE_BODY = defineType({ name: 'IMessageBody', clrName: 'IMessageBody' });
export const HEADERS = defineType({ name: 'IReadOnlyDictionary<string, string[]>', clrName: 'System.Collections.Generic.IReadOnlyDictionary`2[System.String,System.String[]]' });
// Same .NET type as HEADERS, but query names are matched exactly rather than case-insensitively.
export const QUERY = defineType({ name: 'IReadOnlyDictionary<string, string[]>', clrName: 'System.Collections.Generic.IReadOnlyDictionary`2[System.String,System.String[]]' });
export const MATCHED_PARAMETERS = defineType({ name: 'IReadOnlyDictionary<string, string>', clrName: 'System.Collections.Generic.IReadOnlyDictionary`2[System.String,System.String]' });
export const VARIABLES = defineType({ name: 'IReadOnlyDictionary<string, object>', clrName: 'System.Collections.Generic.IReadOnlyDictionary`2[System.String,System.Object]' });
export const SUBSCRIPTION = defineType({ name: 'ISubscription', clrName: 'ISubscription' });
export const PRODUCT = defineType({ name: 'IProduct', clrName: 'IProduct' });
export const API = defineType({ name: 'IApi', clrName: 'IApi' });
export const OPERATION = defineType({ name: 'IOperation', clrName: 'IOperation' });
export const DEPLOYMENT = defineType({ name: 'IDeployment', clrName: 'IDeployment' });
export const LAST_ERROR = defineType({ name: 'ILastError', clrName: 'ILastError' });
export const USER = defineType({ name: 'IUser', clrName: 'IUser' });

const T_CONTEXT = named(CONTEXT);

/** A string property read from a view field (absent → null, as an unset .NET string). */
function field<V>(type: ClrType, read: (view: V) => unknown): MemberDef {
  return prop(type, (v) => read(v as V) ?? null);
}

// ---- multi-value dictionaries (headers, query) ----

/** Headers are looked up lower-cased; see HeaderMapView. Query names are exact. */
function multiValueMembers(lowerCaseNames: boolean, what: string): TypeMembers {
  const key = lowerCaseNames ? (name: unknown): string => (name as string).toLowerCase() : (name: unknown): string => name as string;
  const requireName = (name: unknown): void => {
    if (name === null) throw new ExpressionRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'key')");
  };
  return {
    instance: {
      // Returns the values joined with ',' or the default when absent (APIM's extension).
      GetValueOrDefault: method(
        sig([param(`${what}Name`, T_STRING), param('defaultValue', T_STRING, { optional: true, defaultValue: null })], T_STRING, (m, [name, fallback]) => {
          requireName(name);
          const values = (m as MultiValueMapView).get(key(name));
          return values === undefined ? fallback : values.join(',');
        }),
      ),
      ContainsKey: method(
        sig([param('key', T_STRING)], T_BOOL, (m, [name]) => {
          requireName(name);
          return (m as MultiValueMapView).get(key(name)) !== undefined;
        }),
      ),
    },
    indexers: [
      sig([param('key', T_STRING)], T_STRING_ARRAY, (m, [name]) => {
        requireName(name);
        const values = (m as MultiValueMapView).get(key(name));
        if (values === undefined) throw keyNotFound(name as string);
        return [...values];
      }),
    ],
    unsupported: ['TryGetValue', 'Keys', 'Values', 'Count', 'GetEnumerator'],
  };
}

const matchedParameterMembers: TypeMembers = {
  instance: {
    GetValueOrDefault: method(
      sig([param('key', T_STRING), param('defaultValue', T_STRING, { optional: true, defaultValue: null })], T_STRING, (m, [k, d]) =>
        (m as ReadonlyMap<string, string>).get(k as string) ?? d,
      ),
    ),
    ContainsKey: method(sig([param('key', T_STRING)], T_BOOL, (m, [k]) => (m as ReadonlyMap<string, string>).has(k as string))),
  },
  indexers: [
    sig([param('key', T_STRING)], T_STRING, (m, [k]) => {
      const value = (m as ReadonlyMap<string, string>).get(k as string);
      if (value === undefined) throw keyNotFound(k as string);
      return value;
    }),
  ],
  unsupported: ['TryGetValue', 'Keys', 'Values', 'Count'],
};

// ---- context.Variables ----

/** GetValueOrDefault<T>(name[, default]): the stored value cast to T ("throws if the type does not match"). */
const variablesGetGeneric: GenericOverload = {
  typeParams: 1,
  instantiate(typeArgs: ClrType[]): Signature {
    const t = typeArgs[0] as ClrType;
    const cast = castFromObject(t);
    const fallback = defaultValueOf(t);
    return sig(
      [param('variableName', T_STRING), param('defaultValue', t, { optional: true, defaultValue: fallback })],
      t,
      (vars, [name, d]) => {
        const map = vars as ReadonlyMap<string, unknown>;
        return map.has(name as string) ? cast(map.get(name as string) ?? null) : d;
      },
    );
  },
  // GetValueOrDefault("x", "fallback") infers T from the default, as C# does.
  infer(argTypes: ClrType[]): ClrType[] | undefined {
    const d = argTypes[1];
    return d === undefined || d.kind === 'null' || d.kind === 'void' ? undefined : [d];
  },
};

const variablesMembers: TypeMembers = {
  instance: {
    GetValueOrDefault: method(
      variablesGetGeneric,
      sig([param('variableName', T_STRING), param('defaultValue', T_OBJECT, { optional: true, defaultValue: null })], T_OBJECT, (vars, [name, d]) => {
        const map = vars as ReadonlyMap<string, unknown>;
        return map.has(name as string) ? (map.get(name as string) ?? null) : d;
      }),
    ),
    ContainsKey: method(sig([param('key', T_STRING)], T_BOOL, (vars, [name]) => (vars as ReadonlyMap<string, unknown>).has(name as string))),
  },
  indexers: [
    sig([param('key', T_STRING)], T_OBJECT, (vars, [name]) => {
      const map = vars as ReadonlyMap<string, unknown>;
      if (!map.has(name as string)) throw keyNotFound(name as string);
      return map.get(name as string) ?? null;
    }),
  ],
  unsupported: ['TryGetValue', 'Keys', 'Values', 'Count'],
};

// ---- message bodies ----

/** APIM prefixes JSON failures of As<JObject>() with this sentence. */
const NOT_JSON = 'The message body is not a valid JSON.';

function readJson(body: MessageBodyView): unknown {
  try {
    return body.json();
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const first = body.text().trimStart()[0];
    const detail = first === undefined ? 'Unexpected end when reading JSON.' : `Unexpected character encountered while parsing value: ${first}.`;
    throw new ExpressionRuntimeError('JsonReaderException', `${NOT_JSON} ${detail} Path '', line 1, position ${first === undefined ? 0 : 1}.`);
  }
}

function withBodyPrefix<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ExpressionRuntimeError && e.exceptionType === 'JsonReaderException' && !e.message.startsWith(NOT_JSON)) {
      throw new ExpressionRuntimeError(e.exceptionType, `${NOT_JSON} ${e.message}`);
    }
    throw e;
  }
}

const AS_TYPES: readonly ClrType[] = [T_STRING, T_JOBJECT, T_JTOKEN, T_JARRAY];

const bodyAs: GenericOverload = {
  typeParams: 1,
  instantiate(typeArgs: ClrType[]): Signature | string {
    const t = typeArgs[0] as ClrType;
    if (!AS_TYPES.some((a) => sameType(a, t))) {
      const apimAllows = ['byte[]', 'XNode', 'XElement', 'XDocument'].includes(typeName(t));
      return apimAllows
        ? `As<${typeName(t)}>() is not supported by this emulator (supported: string, JObject, JToken, JArray)`
        : `As<T>() cannot read a body as '${typeName(t)}': T must be string, byte[], JObject, JToken, JArray, XNode, XElement or XDocument`;
    }
    const read = (body: MessageBodyView): unknown => {
      if (sameType(t, T_STRING)) return body.text();
      const raw = readJson(body);
      if (sameType(t, T_JOBJECT)) return withBodyPrefix(() => parseJObject(raw));
      if (sameType(t, T_JARRAY)) return withBodyPrefix(() => parseJArray(raw));
      return wrapJson(raw);
    };
    return sig([param('preserveContent', T_BOOL, { optional: true, defaultValue: false })], t, (b, [preserve]) => {
      const body = b as MessageBodyView;
      const value = read(body);
      if (preserve !== true) body.consume();
      return value;
    });
  },
};

// ---- the context tree ----

function urlToString(u: UrlView): string {
  const defaultPort = u.scheme === 'https' ? 443 : u.scheme === 'http' ? 80 : -1;
  const port = u.port === defaultPort ? '' : `:${u.port}`;
  return `${u.scheme}://${u.host}${port}${u.path}${u.queryString}`;
}

export const CONTEXT_MEMBERS: ReadonlyMap<TypeDef, TypeMembers> = new Map<TypeDef, TypeMembers>([
  [
    CONTEXT,
    {
      instance: {
        Api: field<PolicyContextView>(named(API), (c) => c.api),
        Deployment: field<PolicyContextView>(named(DEPLOYMENT), (c) => c.deployment),
        Elapsed: prop(T_TIMESPAN, (c) => new ClrTimeSpan((c as PolicyContextView).elapsedMs)),
        LastError: field<PolicyContextView>(named(LAST_ERROR), (c) => c.lastError),
        Operation: field<PolicyContextView>(named(OPERATION), (c) => c.operation),
        Product: field<PolicyContextView>(named(PRODUCT), (c) => c.product),
        Request: field<PolicyContextView>(named(REQUEST), (c) => c.request),
        RequestId: prop(T_GUID, (c) => new ClrGuid((c as PolicyContextView).requestId)),
        Response: field<PolicyContextView>(named(RESPONSE), (c) => c.response),
        Subscription: field<PolicyContextView>(named(SUBSCRIPTION), (c) => c.subscription),
        Timestamp: prop(T_DATETIME, (c) => {
          const ctx = c as PolicyContextView;
          return new ClrDateTime(ctx.now() - ctx.elapsedMs);
        }),
        Tracing: prop(T_BOOL, (c) => (c as PolicyContextView).tracing ?? false),
        User: field<PolicyContextView>(named(USER), (c) => c.user),
        Variables: field<PolicyContextView>(named(VARIABLES), (c) => c.variables),
      },
      unsupported: ['Trace', 'Backend', 'Workspace'],
    },
  ],
  [
    REQUEST,
    {
      instance: {
        Body: field<RequestView>(named(MESSAGE_BODY), (r) => r.body),
        Headers: field<RequestView>(named(HEADERS), (r) => r.headers),
        IpAddress: field<RequestView>(T_STRING, (r) => r.ipAddress),
        MatchedParameters: field<RequestView>(named(MATCHED_PARAMETERS), (r) => r.matchedParameters ?? new Map()),
        Method: field<RequestView>(T_STRING, (r) => r.method),
        OriginalUrl: field<RequestView>(named(URL), (r) => r.originalUrl ?? r.url),
        Url: field<RequestView>(named(URL), (r) => r.url),
      },
      unsupported: ['Certificate', 'PrivateEndpointConnection'],
    },
  ],
  [
    RESPONSE,
    {
      instance: {
        Body: field<ResponseView>(named(MESSAGE_BODY), (r) => r.body),
        Headers: field<ResponseView>(named(HEADERS), (r) => r.headers),
        StatusCode: prop(T_INT, (r) => (r as ResponseView).statusCode),
        StatusReason: field<ResponseView>(T_STRING, (r) => r.statusReason),
      },
    },
  ],
  [
    URL,
    {
      instance: {
        Host: field<UrlView>(T_STRING, (u) => u.host),
        Path: field<UrlView>(T_STRING, (u) => u.path),
        Port: prop(T_INT, (u) => (u as UrlView).port),
        Query: field<UrlView>(named(QUERY), (u) => u.query),
        QueryString: field<UrlView>(T_STRING, (u) => u.queryString),
        Scheme: field<UrlView>(T_STRING, (u) => u.scheme),
        ToString: method(sig([], T_STRING, (u) => urlToString(u as UrlView))),
      },
    },
  ],
  [MESSAGE_BODY, { instance: { As: method(bodyAs) } }],
  [HEADERS, multiValueMembers(true, 'header')],
  [QUERY, multiValueMembers(false, 'queryParameter')],
  [MATCHED_PARAMETERS, matchedParameterMembers],
  [VARIABLES, variablesMembers],
  [
    SUBSCRIPTION,
    {
      instance: {
        Id: field<{ id: string }>(T_STRING, (s) => s.id),
        Name: field<{ name: string }>(T_STRING, (s) => s.name),
        Key: field<{ key: string }>(T_STRING, (s) => s.key),
        PrimaryKey: field<{ primaryKey?: string }>(T_STRING, (s) => s.primaryKey),
        SecondaryKey: field<{ secondaryKey?: string }>(T_STRING, (s) => s.secondaryKey),
      },
      unsupported: ['CreatedDate', 'EndDate', 'StartDate'],
    },
  ],
  [
    PRODUCT,
    {
      instance: {
        Id: field<{ id: string }>(T_STRING, (p) => p.id),
        Name: field<{ name: string }>(T_STRING, (p) => p.name),
      },
      unsupported: ['Apis', 'ApprovalRequired', 'Groups', 'State', 'SubscriptionLimit', 'SubscriptionRequired'],
    },
  ],
  [
    API,
    {
      instance: {
        Id: field<{ id: string }>(T_STRING, (a) => a.id),
        Name: field<{ name: string }>(T_STRING, (a) => a.name),
        Path: field<{ path: string }>(T_STRING, (a) => a.path),
        Version: field<{ version?: string }>(T_STRING, (a) => a.version),
        Revision: field<{ revision?: string }>(T_STRING, (a) => a.revision ?? '1'),
        IsCurrentRevision: prop(T_BOOL, (a) => (a as { isCurrentRevision?: boolean }).isCurrentRevision ?? true),
      },
      unsupported: ['ServiceUrl', 'Protocols', 'SubscriptionKeyParameterNames'],
    },
  ],
  [
    OPERATION,
    {
      instance: {
        Id: field<{ id: string }>(T_STRING, (o) => o.id),
        Name: field<{ name: string }>(T_STRING, (o) => o.name),
        Method: field<{ method: string }>(T_STRING, (o) => o.method),
        UrlTemplate: field<{ urlTemplate: string }>(T_STRING, (o) => o.urlTemplate),
      },
    },
  ],
  [
    DEPLOYMENT,
    {
      instance: {
        Region: field<{ region: string }>(T_STRING, (d) => d.region),
        ServiceName: field<{ serviceName: string }>(T_STRING, (d) => d.serviceName),
        GatewayId: field<{ gatewayId: string }>(T_STRING, (d) => d.gatewayId),
      },
      unsupported: ['Certificates'],
    },
  ],
  [
    LAST_ERROR,
    {
      instance: {
        Source: field<{ source: string }>(T_STRING, (e) => e.source),
        Reason: field<{ reason: string }>(T_STRING, (e) => e.reason),
        Message: field<{ message: string }>(T_STRING, (e) => e.message),
        Scope: field<{ scope: string }>(T_STRING, (e) => e.scope),
        Section: field<{ section: string }>(T_STRING, (e) => e.section),
        Path: field<{ path: string }>(T_STRING, (e) => e.path),
        PolicyId: field<{ policyId: string }>(T_STRING, (e) => e.policyId),
      },
    },
  ],
  [
    USER,
    {
      instance: {
        Id: field<{ id: string }>(T_STRING, (u) => u.id),
        Email: field<{ email: string }>(T_STRING, (u) => u.email),
        FirstName: field<{ firstName: string }>(T_STRING, (u) => u.firstName),
        LastName: field<{ lastName: string }>(T_STRING, (u) => u.lastName),
        Note: field<{ note?: string }>(T_STRING, (u) => u.note),
      },
      unsupported: ['Groups', 'Identities', 'RegistrationDate'],
    },
  ],
]);

/** The one implicit variable every expression sees. */
export const CONTEXT_VARIABLE = { name: 'context', type: T_CONTEXT } as const;

/** Interface names usable in casts, e.g. `(IResponse)context.Variables["resp"]` after send-request. */
export const CONTEXT_TYPE_NAMES: ReadonlyMap<string, TypeDef> = new Map([['IResponse', RESPONSE]]);
