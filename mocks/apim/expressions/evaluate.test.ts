/**
 * Run-time behaviour: what an expression returns for a given context, and which .NET
 * exception (with APIM's wording) it raises when it fails.
 */
import { describe, expect, it } from 'vitest';
import { ClrDateTime, ClrTimeSpan } from './clr-values.ts';
import { headerMap, messageBody } from './context-builders.ts';
import { ExpressionRuntimeError } from './errors.ts';
import { JObject, JValue } from './jtoken.ts';
import { FIXED_NOW, run, testContext } from './test-support.ts';

function runtimeError(text: string, context = testContext()): ExpressionRuntimeError {
  try {
    run(text, context);
  } catch (e) {
    if (e instanceof ExpressionRuntimeError) return e;
    throw e;
  }
  throw new Error(`expected a runtime error from ${text}`);
}

describe('context members', () => {
  it('reads request data', () => {
    expect(run('@(context.Request.Method)')).toBe('POST');
    expect(run('@(context.Request.Url.Path)')).toBe('/openai/deployments/gpt-4o/chat/completions');
    expect(run('@(context.Request.Url.Host)')).toBe('contoso.azure-api.net');
    expect(run('@(context.Request.Url.Query.GetValueOrDefault("api-version", "none"))')).toBe('2024-10-21');
    expect(run('@(context.Request.Url.Query.GetValueOrDefault("missing", "none"))')).toBe('none');
    expect(run('@(context.Request.IpAddress)')).toBe('203.0.113.7');
    expect(run('@(context.Request.OriginalUrl.Scheme)')).toBe('https');
  });

  it('looks headers up case-insensitively and joins repeated values with a comma', () => {
    const ctx = testContext({ headers: { 'X-Priority': 'high', Accept: ['a', 'b'] } });
    expect(run('@(context.Request.Headers.GetValueOrDefault("x-PRIORITY", "medium"))', ctx)).toBe('high');
    expect(run('@(context.Request.Headers.GetValueOrDefault("Accept", ""))', ctx)).toBe('a,b');
    expect(run('@(context.Request.Headers.GetValueOrDefault("Missing", "medium"))', ctx)).toBe('medium');
    expect(run('@(context.Request.Headers.GetValueOrDefault("Missing"))', ctx)).toBeNull();
    expect(run('@(context.Request.Headers.ContainsKey("accept"))', ctx)).toBe(true);
    expect(run('@(context.Request.Headers["Accept"].Length)', ctx)).toBe(2);
  });

  it('matches query parameter names exactly', () => {
    const ctx = testContext({ url: 'https://h/p?Model=a&model=b' });
    expect(run('@(context.Request.Url.Query.GetValueOrDefault("model", ""))', ctx)).toBe('b');
    expect(run('@(context.Request.Url.Query.ContainsKey("MODEL"))', ctx)).toBe(false);
  });

  it('reads the response, subscription, product, api, operation and deployment', () => {
    const ctx = testContext({}, { response: { statusCode: 429, statusReason: 'Too Many Requests', headers: headerMap({ 'Retry-After': '7' }) } });
    expect(run('@(context.Response.StatusCode)', ctx)).toBe(429);
    expect(run('@(context.Response.StatusReason)', ctx)).toBe('Too Many Requests');
    expect(run('@(context.Subscription.Name + "/" + context.Subscription.Key)')).toBe('Team A/key-a');
    expect(run('@(context.Product.Name + "|" + context.Product.Id)')).toBe('AI Standard|ai-standard');
    expect(run('@(context.Api.Id + context.Api.Name + context.Api.Path)')).toBe('azure-openaiAzure OpenAIopenai');
    expect(run('@(context.Operation.Id + context.Operation.Name + context.Operation.Method)')).toBe('chat-completionsChat CompletionsPOST');
    expect(run('@(context.Deployment.Region + context.Deployment.ServiceName + context.Deployment.GatewayId)')).toBe('East UScontosomanaged');
  });

  it('exposes RequestId as a Guid, Elapsed as a TimeSpan and Timestamp as a DateTime', () => {
    expect(run('@(context.RequestId.ToString())')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(run('@("req-" + context.RequestId)')).toBe('req-0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(run('@(context.Elapsed.TotalMilliseconds)')).toBe(1500);
    expect(run('@(context.Elapsed.TotalSeconds)')).toBe(1.5);
    expect(run('@(context.Elapsed > TimeSpan.FromSeconds(1))')).toBe(true);
    expect(run('@(context.Timestamp.ToString("o"))')).toBe('2026-01-01T11:59:58.5000000Z');
  });

  it('reads context.LastError inside on-error', () => {
    const lastError = { source: 'rate-limit', reason: 'RateLimitExceeded', message: 'Rate limit is exceeded.', scope: 'api', section: 'inbound', path: '', policyId: '' };
    const ctx = testContext({}, { lastError });
    expect(run('@(context.LastError.Source + ":" + context.LastError.Reason + ":" + context.LastError.Section)', ctx)).toBe('rate-limit:RateLimitExceeded:inbound');
    expect(run('@(context.LastError.Message)', ctx)).toBe('Rate limit is exceeded.');
  });

  it('reads variables by indexer, GetValueOrDefault and ContainsKey', () => {
    const ctx = testContext({ variables: { tier: 'gold', count: 3, token: new JValue('t') } });
    expect(run('@((string)context.Variables["tier"])', ctx)).toBe('gold');
    expect(run('@(context.Variables.GetValueOrDefault<int>("count") + 1)', ctx)).toBe(4);
    expect(run('@(context.Variables.GetValueOrDefault<int>("missing", 10))', ctx)).toBe(10);
    expect(run('@(context.Variables.GetValueOrDefault<int>("missing"))', ctx)).toBe(0);
    expect(run('@(context.Variables.GetValueOrDefault<string>("missing"))', ctx)).toBeNull();
    expect(run('@(context.Variables.GetValueOrDefault("missing", "dflt"))', ctx)).toBe('dflt');
    expect(run('@(context.Variables.ContainsKey("tier"))', ctx)).toBe(true);
    expect(run('@((string)(JToken)context.Variables["token"])', ctx)).toBe('t');
  });

  it('casts a send-request response stored in a variable back to IResponse', () => {
    const response = { statusCode: 200, statusReason: 'OK', headers: headerMap({}), body: messageBody('{"token":"abc"}') };
    const ctx = testContext({ variables: { resp: response } });
    expect(run('@((string)((IResponse)context.Variables["resp"]).Body.As<JObject>()["token"])', ctx)).toBe('abc');
    expect(runtimeError('@(((IResponse)context.Variables["resp"]).StatusCode)', testContext({ variables: { resp: 'x' } })).message).toBe(
      "Unable to cast object of type 'System.String' to type 'IResponse'.",
    );
  });

  it('reads optional parts through ?. without failing', () => {
    const ctx = testContext({}, { subscription: null, user: null });
    expect(run('@(context.Subscription?.Id ?? "anonymous")', ctx)).toBe('anonymous');
    expect(run('@(context?.User?.Email)', ctx)).toBeNull();
    expect(run('@(context.LastError?.Message ?? "none")')).toBe('none');
  });
});

describe('request bodies', () => {
  it('reads the model and stream flag in every common style', () => {
    const ctx = testContext({ body: '{"model":"gpt-4o-mini","stream":true}' });
    expect(run('@(context.Request.Body.As<JObject>(preserveContent: true)["model"].ToString())', ctx)).toBe('gpt-4o-mini');
    expect(run('@((string)context.Request.Body.As<JObject>(preserveContent: true)["model"])', ctx)).toBe('gpt-4o-mini');
    expect(run('@(context.Request.Body.As<JObject>(preserveContent: true).Value<string>("model"))', ctx)).toBe('gpt-4o-mini');
    expect(run('@(context.Request.Body.As<JObject>(preserveContent: true).Value<bool>("stream"))', ctx)).toBe(true);
    expect(run('@((bool?)context.Request.Body.As<JObject>(preserveContent: true)["stream"] == true)', ctx)).toBe(true);
    expect(run('@(context.Request.Body.As<JObject>(preserveContent: true)["stream"]?.Value<bool>() ?? false)', ctx)).toBe(true);
    expect(run('@(context.Request.Body.As<JObject>(preserveContent: true).ContainsKey("stream"))', ctx)).toBe(true);
  });

  it('treats a missing stream flag as false or null depending on the style', () => {
    const ctx = testContext({ body: '{"model":"m"}' });
    expect(run('@(context.Request.Body.As<JObject>(true).Value<bool>("stream"))', ctx)).toBe(false);
    expect(run('@((bool?)context.Request.Body.As<JObject>(true)["stream"])', ctx)).toBeNull();
    expect(run('@(context.Request.Body.As<JObject>(true)["stream"]?.Value<bool>())', ctx)).toBeNull();
    expect(run('@(context.Request.Body.As<JObject>(true)["stream"] == null)', ctx)).toBe(true);
  });

  it('distinguishes JSON null from a missing property, as Newtonsoft does', () => {
    const ctx = testContext({ body: '{"stream":null}' });
    expect(run('@(context.Request.Body.As<JObject>(true)["stream"] != null)', ctx)).toBe(true);
    expect(run('@((bool?)context.Request.Body.As<JObject>(true)["stream"])', ctx)).toBeNull();
    const e = runtimeError('@((bool)context.Request.Body.As<JObject>(true)["stream"])', ctx);
    expect(e.exceptionType).toBe('ArgumentException');
    expect(e.message).toBe('Can not convert Null to Boolean.');
  });

  it('raises what .NET raises for Value<T>() (an extension method) versus Value<T>(key) on a missing token', () => {
    const ctx = testContext({ body: '{"model":"m"}' });
    const extension = runtimeError('@(context.Request.Body.As<JObject>(true)["stream"].Value<bool>())', ctx);
    expect(extension.exceptionType).toBe('ArgumentException');
    expect(extension.message).toBe('Source value must be a JToken.');
    expect(runtimeError('@(context.Request.Body.As<JObject>(true)["stream"].Value<bool>("x"))', ctx).exceptionType).toBe('NullReferenceException');
  });

  it('walks nested arrays and objects', () => {
    expect(run('@(context.Request.Body.As<JObject>(true)["messages"][0]["content"].ToString())')).toBe('hi');
    expect(run('@(((JArray)context.Request.Body.As<JObject>(true)["messages"]).Count)')).toBe(1);
    expect(run('@(context.Request.Body.As<JObject>(true)["messages"].Type == JTokenType.Array)')).toBe(true);
  });

  it('returns JTokens that the engine can inspect', () => {
    const token = run('@(context.Request.Body.As<JObject>(true))');
    expect(token).toBeInstanceOf(JObject);
    expect((token as JObject).get('model')?.toString()).toBe('gpt-4o');
  });

  it('reads the body as text', () => {
    expect(run('@(context.Request.Body.As<string>(preserveContent: true).Length > 10)')).toBe(true);
  });

  it('consumes the body when preserveContent is not set, as APIM does', () => {
    const ctx = testContext({ body: '{"model":"m"}' });
    expect(run('@(context.Request.Body.As<string>())', ctx)).toBe('{"model":"m"}');
    expect(run('@(context.Request.Body.As<string>())', ctx)).toBe('');
  });

  it('keeps the body readable with preserveContent: true', () => {
    const ctx = testContext({ body: '{"model":"m"}' });
    run('@(context.Request.Body.As<JObject>(preserveContent: true))', ctx);
    expect(run('@(context.Request.Body.As<string>(true))', ctx)).toBe('{"model":"m"}');
  });

  it('reports invalid JSON with APIM wording', () => {
    const e = runtimeError('@(context.Request.Body.As<JObject>(true))', testContext({ body: 'not json' }));
    expect(e.exceptionType).toBe('JsonReaderException');
    expect(e.message).toBe("The message body is not a valid JSON. Unexpected character encountered while parsing value: n. Path '', line 1, position 1.");
    const array = runtimeError('@(context.Request.Body.As<JObject>(true))', testContext({ body: '[1]' }));
    expect(array.message).toBe(
      "The message body is not a valid JSON. Error reading JObject from JsonReader. Current JsonReader item is not an object: StartArray. Path '', line 1, position 1.",
    );
  });

  it('has a null Body when the request has none', () => {
    const ctx = testContext({ body: null });
    expect(run('@(context.Request.Body == null)', ctx)).toBe(true);
    expect(runtimeError('@(context.Request.Body.As<string>())', ctx).exceptionType).toBe('NullReferenceException');
  });

  it('parses JSON text with JObject.Parse', () => {
    expect(run('@(JObject.Parse("{\\"a\\":{\\"b\\":2}}")["a"]["b"].Value<int>())')).toBe(2);
  });
});

describe('strings', () => {
  it('compares with StringComparison', () => {
    expect(run('@("East US".Equals(context.Deployment.Region, StringComparison.OrdinalIgnoreCase))', testContext({}, { deployment: { region: 'east us', serviceName: 's', gatewayId: 'managed' } }))).toBe(true);
    expect(run('@("East US".Equals("east us"))')).toBe(false);
    expect(run('@(string.Equals("a", "A", StringComparison.OrdinalIgnoreCase))')).toBe(true);
    expect(run('@(string.Equals(null, null))')).toBe(true);
    expect(run('@("a".Equals(null, StringComparison.OrdinalIgnoreCase))')).toBe(false);
  });

  it('searches and slices', () => {
    expect(run('@("gpt-4o-mini".Contains("4o"))')).toBe(true);
    expect(run('@("gpt-4o-mini".StartsWith("GPT", StringComparison.OrdinalIgnoreCase))')).toBe(true);
    expect(run('@("gpt-4o-mini".EndsWith("mini"))')).toBe(true);
    expect(run('@("gpt-4o-mini".IndexOf("-"))')).toBe(3);
    expect(run('@("gpt-4o-mini".LastIndexOf(\'-\'))')).toBe(6);
    expect(run('@("gpt-4o-mini".Substring(4))')).toBe('4o-mini');
    expect(run('@("gpt-4o-mini".Substring(4, 2))')).toBe('4o');
    expect(run('@("a-b-c".Replace("-", "_"))')).toBe('a_b_c');
    expect(run('@("  x ".Trim() + "|" + "xxhixx".Trim(\'x\'))')).toBe('x|hi');
    expect(run('@("Bearer abc".Substring("Bearer ".Length))')).toBe('abc');
    expect(run('@("abc"[1] == \'b\')')).toBe(true);
  });

  it('changes case', () => {
    expect(run('@("MiXed".ToLower() + "MiXed".ToUpper() + "MiXed".ToLowerInvariant() + "MiXed".ToUpperInvariant())')).toBe('mixedMIXEDmixedMIXED');
  });

  it('splits on chars or strings and indexes the result', () => {
    expect(run('@("a,b,,c".Split(\',\')[3])')).toBe('c');
    expect(run('@("a,b,,c".Split(\',\').Length)')).toBe(4);
    expect(run('@("a, b;c".Split(\',\', \';\')[2])')).toBe('c');
    expect(run('@("a::b".Split("::")[1])')).toBe('b');
    expect(run('@("a,,b".Split(\',\', StringSplitOptions.RemoveEmptyEntries).Length)')).toBe(2);
    expect(run('@(context.Request.Url.Path.Split(\'/\')[3])')).toBe('gpt-4o');
  });

  it('tests for null or empty', () => {
    expect(run('@(string.IsNullOrEmpty(""))')).toBe(true);
    expect(run('@(String.IsNullOrEmpty(context.Request.Headers.GetValueOrDefault("Missing")))')).toBe(true);
    expect(run('@(string.IsNullOrWhiteSpace("  "))')).toBe(true);
    expect(run('@(string.IsNullOrEmpty("x"))')).toBe(false);
  });

  it('concatenates like C#: anything after a string becomes text, null becomes ""', () => {
    expect(run('@("n=" + 1 + 2)')).toBe('n=12');
    expect(run('@(1 + 2 + "=n")')).toBe('3=n');
    expect(run('@("x" + null + true + 1.5 + \'c\')')).toBe('xTrue1.5c');
    expect(run('@("v" + (string)context.Variables.GetValueOrDefault("missing"))')).toBe('v');
    expect(run('@("t=" + context.Elapsed)')).toBe('t=00:00:01.5000000');
  });

  it('formats with string.Format and string.Join', () => {
    expect(run('@(string.Format("{0}-{1:D3}-{0}", "a", 5))')).toBe('a-005-a');
    expect(run('@(string.Join(",", "a b c".Split(\' \')))')).toBe('a,b,c');
    expect(run('@(string.Join("|", 1, true, "x"))')).toBe('1|True|x');
  });

  it('builds interpolated strings with formats and alignment', () => {
    expect(run('@($"{context.Request.Method} {context.Elapsed.TotalSeconds:F2}s {{literal}}")')).toBe('POST 1.50s {literal}');
    expect(run('@($"[{1,3}|{"x",-3}]")')).toBe('[  1|x  ]');
    expect(run('@($"{context.Request.Headers.GetValueOrDefault("X-Priority", "medium")}-{true}")')).toBe('high-True');
    expect(run('@($@"C:\\{1}\\x")')).toBe('C:\\1\\x');
  });

  it('decodes escapes and verbatim strings', () => {
    expect(run('@("tab\\there\\u0041")')).toBe('tab\thereA');
    expect(run('@(@"a""b\\n")')).toBe('a"b\\n');
  });

  it('raises .NET exceptions for bad arguments', () => {
    expect(runtimeError('@("abc".Substring(5))').message).toBe("startIndex cannot be larger than length of string. (Parameter 'startIndex')");
    expect(runtimeError('@("abc".Substring(1, 5))').message).toBe("Index and length must refer to a location within the string. (Parameter 'length')");
    expect(runtimeError('@("abc".Contains(context.Request.Headers.GetValueOrDefault("Missing")))').exceptionType).toBe('ArgumentNullException');
    expect(runtimeError('@("abc"[3])').exceptionType).toBe('IndexOutOfRangeException');
    expect(runtimeError('@("a,b".Split(\',\')[2])').message).toBe('Index was outside the bounds of the array.');
  });
});

describe('numbers and conversions', () => {
  it('does integer arithmetic with C# semantics', () => {
    expect(run('@(7 / 2)')).toBe(3);
    expect(run('@(-7 / 2)')).toBe(-3);
    expect(run('@(-7 % 3)')).toBe(-1);
    expect(run('@(2147483647 + 1)')).toBe(-2147483648);
    expect(run('@(65536 * 65536)')).toBe(0);
    expect(run('@(7 / 2.0)')).toBe(3.5);
    expect(run('@(long.Parse("9000000000") * 2)')).toBe(18000000000);
  });

  it('throws DivideByZeroException for integers but not doubles', () => {
    const e = runtimeError('@{ int zero = 0; return 10 / zero; }');
    expect(e.exceptionType).toBe('DivideByZeroException');
    expect(e.message).toBe('Attempted to divide by zero.');
    expect(run('@{ double zero = 0; return 1 / zero; }')).toBe(Infinity);
  });

  it('parses numbers', () => {
    expect(run('@(int.Parse("42") + 1)')).toBe(43);
    expect(run('@(int.Parse(context.Response.Headers.GetValueOrDefault("Retry-After", "30")))', testContext({}, { response: { statusCode: 429, statusReason: '', headers: headerMap({ 'retry-after': '12' }) } }))).toBe(12);
    expect(run('@(double.Parse("1.5") * 2)')).toBe(3);
    expect(run('@(bool.Parse("True"))')).toBe(true);
    expect(runtimeError('@(int.Parse("abc"))').message).toBe('Input string was not in a correct format.');
    expect(runtimeError('@(int.Parse("abc"))').exceptionType).toBe('FormatException');
  });

  it('supports int.TryParse with out var and out of an existing local', () => {
    expect(run('@{ if (int.TryParse("17", out var n)) { return n; } return -1; }')).toBe(17);
    expect(run('@{ int n; return int.TryParse("x", out n) ? n : -1; }')).toBe(-1);
    expect(run('@(int.TryParse("5", out var n) ? n * 2 : 0)')).toBe(10);
  });

  it('converts with Convert and casts', () => {
    expect(run('@(Convert.ToInt32("42"))')).toBe(42);
    expect(run('@(Convert.ToInt32(2.5) + Convert.ToInt32(3.5))')).toBe(6);
    expect(run('@(Convert.ToString(12))')).toBe('12');
    expect(run('@(Convert.ToBoolean("true"))')).toBe(true);
    expect(run('@(Convert.ToDouble("2.5"))')).toBe(2.5);
    expect(run('@((int)3.9 + (int)-3.9)')).toBe(0);
    expect(run('@((long)7 / 2)')).toBe(3);
    expect(run('@((double)7 / 2)')).toBe(3.5);
  });

  it('formats numbers and booleans as .NET does', () => {
    expect(run('@(true.ToString())')).toBe('True');
    expect(run('@((1 + 1).ToString())')).toBe('2');
    expect(run('@((0.1 + 0.2).ToString())')).toBe('0.30000000000000004');
    expect(run('@(5.ToString("D3"))')).toBe('005');
    expect(run('@(context.Response?.StatusCode.ToString() ?? "none")')).toBe('none');
  });

  it('uses Math', () => {
    expect(run('@(Math.Min(3, 4) + Math.Max(1, 2))')).toBe(5);
    expect(run('@(Math.Max(1, 2.5))')).toBe(2.5);
    expect(run('@(Math.Round(2.5) + Math.Round(3.5))')).toBe(6);
    expect(run('@(Math.Abs(-3) + Math.Floor(1.7) + Math.Ceiling(1.2))')).toBe(6);
  });

  it('lifts operators over nullable values', () => {
    expect(run('@{ int? a = null; return a + 1; }')).toBeNull();
    expect(run('@{ int? a = null; return a < 1; }')).toBe(false);
    expect(run('@{ int? a = 4; return (a ?? 0) + 1; }')).toBe(5);
    expect(run('@{ int? a = null; return a.HasValue; }')).toBe(false);
    expect(run('@{ int? a = null; return a.GetValueOrDefault(); }')).toBe(0);
    expect(runtimeError('@{ int? a = null; return a.Value; }').message).toBe('Nullable object must have a value.');
    expect(runtimeError('@{ int? a = null; return (int)a; }').exceptionType).toBe('InvalidOperationException');
  });

  it('reports bad unboxing casts from variables', () => {
    const ctx = testContext({ variables: { n: '5', missing: null } });
    const e = runtimeError('@((int)context.Variables["n"])', ctx);
    expect(e.exceptionType).toBe('InvalidCastException');
    expect(e.message).toBe("Unable to cast object of type 'System.String' to type 'System.Int32'.");
    expect(runtimeError('@(context.Variables.GetValueOrDefault<int>("n"))', ctx).exceptionType).toBe('InvalidCastException');
    expect(runtimeError('@((int)context.Variables["missing"])', ctx).exceptionType).toBe('NullReferenceException');
    expect(run('@(context.Variables["n"] as string)', ctx)).toBe('5');
    expect(run('@(context.Variables["n"] is int)', ctx)).toBe(false);
  });
});

describe('dates, times and guids', () => {
  it('reads the injected clock', () => {
    expect(run('@(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss"))')).toBe('2026-01-01T12:00:00');
    expect(run('@(DateTime.UtcNow)')).toEqual(new ClrDateTime(FIXED_NOW));
    expect(run('@(DateTime.UtcNow.AddMinutes(90).Hour)')).toBe(13);
    expect(run('@(DateTime.UtcNow - context.Timestamp)')).toEqual(new ClrTimeSpan(1500));
    expect(run('@(DateTime.UtcNow > context.Timestamp)')).toBe(true);
  });

  it('generates Guids from the injected source', () => {
    expect(run('@(Guid.NewGuid().ToString())')).toBe('7c9e6679-7425-40de-944b-e07fc1f90ae7');
    expect(run('@(Guid.NewGuid().ToString("N").Length)')).toBe(32);
  });

  it('falls back to random Guids without an injected source', () => {
    const ctx = testContext({}, { newGuid: undefined });
    expect(run('@(Guid.NewGuid().ToString())', ctx)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('operators', () => {
  it('short-circuits && and || and ?:', () => {
    // The right side would throw (null Subscription) if it ran.
    const ctx = testContext({}, { subscription: null });
    expect(run('@(context.Subscription != null && context.Subscription.Id == "x")', ctx)).toBe(false);
    expect(run('@(context.Subscription == null || context.Subscription.Id == "x")', ctx)).toBe(true);
    expect(run('@(context.Subscription == null ? "anon" : context.Subscription.Id)', ctx)).toBe('anon');
  });

  it('evaluates the right side of ?? only when needed', () => {
    const ctx = testContext({}, { subscription: null });
    expect(run('@(context.Request.Method ?? context.Subscription.Id)', ctx)).toBe('POST');
  });

  it('skips the whole rest of a ?. chain when the receiver is null', () => {
    const ctx = testContext({}, { subscription: null });
    expect(run('@(context.Subscription?.Id.Length)', ctx)).toBeNull();
  });

  it('compares value types by value', () => {
    expect(run('@(TimeSpan.FromSeconds(1) == TimeSpan.FromMilliseconds(1000))')).toBe(true);
    expect(run('@(context.RequestId == context.RequestId)')).toBe(true);
    expect(run('@(StringComparison.Ordinal != StringComparison.OrdinalIgnoreCase)')).toBe(true);
  });

  it('supports non-short-circuit & and | on bools and bitwise ops on ints', () => {
    expect(run('@(true & false | true)')).toBe(true);
    expect(run('@(6 & 3 | 8)')).toBe(10);
    expect(run('@(true ^ true)')).toBe(false);
  });
});

describe('statement blocks', () => {
  it('runs declarations, assignments, compound assignments and increments', () => {
    expect(run('@{ var x = 1; x += 2; x++; ++x; x *= 10; return x; }')).toBe(50);
    expect(run('@{ string s = "a"; s += 1; s = s + "b"; return s; }')).toBe('a1b');
    expect(run('@{ int a = 1, b = 2; return a + b; }')).toBe(3);
    expect(run('@{ int n; return n; }')).toBe(0);
  });

  it('follows if / else if / else', () => {
    const text = '@{ var m = context.Request.Method; if (m == "GET") { return "read"; } else if (m == "POST") { return "write"; } else { return "other"; } }';
    expect(run(text)).toBe('write');
    expect(run(text, testContext({ request: { method: 'GET' } }))).toBe('read');
    expect(run(text, testContext({ request: { method: 'PUT' } }))).toBe('other');
  });

  it('supports braceless if bodies', () => {
    expect(run('@{ if (context.Request.Method == "POST") return 1; else return 2; }')).toBe(1);
  });

  it('gives every evaluation fresh locals', () => {
    const text = '@{ int n = 0; n++; return n; }';
    const ctx = testContext();
    expect(run(text, ctx)).toBe(1);
    expect(run(text, ctx)).toBe(1);
  });
});

describe('runtime error details', () => {
  it('reports a null dereference with the .NET message and the member position', () => {
    const e = runtimeError('@(context.Subscription.Id)', testContext({}, { subscription: null }));
    expect(e.exceptionType).toBe('NullReferenceException');
    expect(e.message).toBe('Object reference not set to an instance of an object.');
    expect([e.line, e.column]).toEqual([1, 24]);
    expect(e.text).toBe('@(context.Subscription.Id)');
  });

  it('reads context.Response as null before the backend has answered', () => {
    expect(runtimeError('@(context.Response.StatusCode == 429)').exceptionType).toBe('NullReferenceException');
  });

  it('reports a missing variable with KeyNotFoundException', () => {
    const e = runtimeError('@((string)context.Variables["msi-access-token"])');
    expect(e.exceptionType).toBe('KeyNotFoundException');
    expect(e.message).toBe("The given key 'msi-access-token' was not present in the dictionary.");
  });

  it('reports a missing header through the indexer with KeyNotFoundException', () => {
    expect(runtimeError('@(context.Request.Headers["X-Missing"][0])').exceptionType).toBe('KeyNotFoundException');
  });
});
