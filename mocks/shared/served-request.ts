/**
 * The Request the node:http adapter hands to msw's getResponse: the members msw and a handler
 * read on every request are plain fields, and undici's Request is built only when something
 * else is asked for.
 *
 * Why: building an undici Request per served request (URL parse and serialise, webidl
 * conversion and validation of every header into a Headers, a ReadableStream for the body, a
 * signal that follows ours through a FinalizationRegistry) was about a seventh of the CPU a
 * small request cost. What msw 3.0.5 itself touches on the request, read from its source
 * (node_modules/msw/lib):
 * - utils/get-response.js and _chunks/execute-handlers.js pass it on untouched;
 * - RequestHandler.run (_chunks/request-handler.js): `RequestHandler.cache.get(request)`
 *   (the adapter registers the request as its own clone, so `clone()` is not called), and
 *   `request.signal` only when a resolver reads `finalize` or `complete()` has cleanups;
 * - HttpHandler.parse/predicate (_chunks/http-handler.js): `request.method`, `new
 *   URL(request.url)`, and `getAllRequestCookies`, which reads `request.headers.get('cookie')`
 *   and, because `cookieStore` is null under Node (_chunks/cookie-store.js), nothing else
 *   (`request.credentials` is behind that check).
 * So method, url, headers.get/has, signal and the body reads are served here; any other member
 * (body as a stream, clone, formData, mode, credentials, …) builds the real Request from the
 * same url, method, headers, bytes and signal, and delegates to it from then on.
 *
 * The prototype chain runs through Request.prototype, so `request instanceof Request` holds as
 * it did; every member of the Request interface is defined here, so none of undici's
 * brand-checked accessors is reached. What is not the same: undici's own functions that take a
 * Request by its internal state (`fetch(request)`, `new Request(request)`) see a string; pass
 * `request.clone()`, which is a real Request.
 */

/** Methods undici's Request refuses (it throws a TypeError): those take the real Request at once. */
const forbiddenMethods = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** As undici normalises a header value before storing it: HTTP whitespace at either edge removed. */
const httpWhitespaceAtEdges = /^[\t\n\r ]+|[\t\n\r ]+$/g;
function isHttpWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}
function normalizeValue(value: string): string {
  if (value.length === 0) return value;
  return isHttpWhitespace(value.charCodeAt(0)) || isHttpWhitespace(value.charCodeAt(value.length - 1)) ? value.replace(httpWhitespaceAtEdges, '') : value;
}

/** RFC 9110 token: what undici's Headers accepts as a name (anything else makes it throw). */
const headerNameToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Names already checked, to their lower-case form. Handlers ask for the same dozen names on
 * every request; the map is bounded so that odd names cannot grow it without end.
 */
const checkedNames = new Map<string, string>();
function lowerCaseToken(name: string): string | undefined {
  const known = checkedNames.get(name);
  if (known !== undefined) return known;
  if (!headerNameToken.test(name)) return undefined;
  const lower = name.toLowerCase();
  if (checkedNames.size < 1024) checkedNames.set(name, lower);
  return lower;
}

/**
 * Headers over node's raw name/value pairs. get and has answer from an index built on first
 * use, with undici's semantics (case-insensitive names, repeated names joined with ", ",
 * values trimmed of HTTP whitespace); every other member, and get/has of a name that is not
 * a valid token (undici throws for those), goes to a real Headers built from the same pairs.
 * Once the owning Request is built, that Request's own Headers is the one delegated to, so a
 * change made through either is seen by both.
 */
export class ServedHeaders implements Headers {
  readonly #raw: readonly string[];
  #index: Map<string, string> | undefined;
  #real: Headers | undefined;

  constructor(rawHeaders: readonly string[]) {
    this.#raw = rawHeaders;
  }

  /** Name/value pairs in arrival order, as the Request constructor takes them. */
  get pairs(): [string, string][] {
    const pairs: [string, string][] = [];
    for (let i = 0; i < this.#raw.length; i += 2) pairs.push([this.#raw[i]!, this.#raw[i + 1]!]);
    return pairs;
  }

  /** What a Request built now should carry: the pairs, or the real Headers if it was used. */
  get init(): HeadersInit {
    return this.#real ?? this.pairs;
  }

  /** Called once the owning Request exists: its Headers holds the same entries from now on. */
  adopt(headers: Headers): void {
    this.#real = headers;
    this.#index = undefined;
  }

  #delegate(): Headers {
    this.#real ??= new Headers(this.pairs);
    this.#index = undefined;
    return this.#real;
  }

  #lookup(): Map<string, string> {
    if (this.#index !== undefined) return this.#index;
    const index = new Map<string, string>();
    const raw = this.#raw;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = normalizeValue(raw[i + 1]!);
      const seen = index.get(name);
      index.set(name, seen === undefined ? value : `${seen}, ${value}`);
    }
    this.#index = index;
    return index;
  }

  get(name: string): string | null {
    if (this.#real !== undefined) return this.#real.get(name);
    const key = lowerCaseToken(name);
    if (key === undefined) return this.#delegate().get(name);
    return this.#lookup().get(key) ?? null;
  }

  has(name: string): boolean {
    if (this.#real !== undefined) return this.#real.has(name);
    const key = lowerCaseToken(name);
    if (key === undefined) return this.#delegate().has(name);
    return this.#lookup().has(key);
  }

  append(name: string, value: string): void {
    this.#delegate().append(name, value);
  }
  delete(name: string): void {
    this.#delegate().delete(name);
  }
  set(name: string, value: string): void {
    this.#delegate().set(name, value);
  }
  getSetCookie(): string[] {
    return this.#delegate().getSetCookie();
  }
  forEach(callbackfn: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    // undici passes its own Headers as the third argument; this object stands for it here.
    this.#delegate().forEach((value, key) => callbackfn.call(thisArg, value, key, this));
  }
  entries(): HeadersIterator<[string, string]> {
    return this.#delegate().entries();
  }
  keys(): HeadersIterator<string> {
    return this.#delegate().keys();
  }
  values(): HeadersIterator<string> {
    return this.#delegate().values();
  }
  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.#delegate()[Symbol.iterator]();
  }
}
Object.setPrototypeOf(ServedHeaders.prototype, Headers.prototype);

const utf8 = new TextDecoder();
const noBytes = Buffer.alloc(0);

export interface ServedRequestInit {
  /** The serialised absolute URL, as `new URL(…).href` gives it. */
  url: string;
  /** As node:http parsed it (upper case). */
  method: string;
  /** `IncomingMessage.rawHeaders`: names and values alternating, in arrival order. */
  rawHeaders: readonly string[];
  /** The whole body as received, or undefined for none. */
  body: Buffer | undefined;
}

export class ServedRequest implements Request {
  readonly url: string;
  readonly method: string;
  readonly headers: ServedHeaders;
  readonly #bytes: Buffer | undefined;
  #controller: AbortController | undefined;
  #clientGone = false;
  #bodyRead = false;
  #real: Request | undefined;

  constructor(init: ServedRequestInit) {
    this.url = init.url;
    this.method = init.method;
    this.headers = new ServedHeaders(init.rawHeaders);
    this.#bytes = init.body;
  }

  /**
   * The request's signal, created on first use: a request nobody asks about costs no
   * AbortController. One asked for after the client left is aborted already, as the signal
   * would be had it existed all along.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#clientGone) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** The adapter calls this when the client goes away before the answer was sent. */
  clientGone(): void {
    if (this.#clientGone) return;
    this.#clientGone = true;
    this.#controller?.abort();
  }

  /**
   * The undici Request with the same url, method, headers, body and signal. If the body was
   * already read from the bytes, the new Request's body is read too, so that bodyUsed, clone()
   * and the body stream behave as they would on a Request whose body was consumed.
   */
  #materialize(): Request {
    if (this.#real !== undefined) return this.#real;
    const real = new Request(this.url, {
      method: this.method,
      headers: this.headers.init,
      signal: this.signal,
      // Node's Buffers are backed by plain ArrayBuffers; the cast only satisfies the DOM typings.
      ...(this.#bytes !== undefined ? { body: this.#bytes as Uint8Array<ArrayBuffer> } : {}),
    });
    if (this.#bodyRead) void real.arrayBuffer().catch(() => undefined);
    this.headers.adopt(real.headers);
    this.#real = real;
    return real;
  }

  /**
   * The bytes for one read, or a rejection where Request's body mixin rejects (body used);
   * undefined once the real Request exists. A request without a body reads as empty, as often
   * as asked, and never counts as used (undici's bodyUsed is false for a null body).
   */
  #takeBytes(): Promise<Buffer> | undefined {
    if (this.#real !== undefined) return undefined;
    if (this.#bytes === undefined) return Promise.resolve(noBytes);
    if (this.#bodyRead) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#bodyRead = true;
    return Promise.resolve(this.#bytes);
  }

  get bodyUsed(): boolean {
    return this.#real !== undefined ? this.#real.bodyUsed : this.#bodyRead;
  }

  text(): Promise<string> {
    // TextDecoder's defaults (BOM stripped, invalid bytes replaced) are the Fetch spec's UTF-8 decode, as text() does.
    return this.#takeBytes()?.then((bytes) => utf8.decode(bytes)) ?? this.#real!.text();
  }
  json(): Promise<unknown> {
    return this.#takeBytes()?.then((bytes) => JSON.parse(utf8.decode(bytes)) as unknown) ?? this.#real!.json();
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#takeBytes()?.then((bytes) => new Uint8Array(bytes).buffer) ?? this.#real!.arrayBuffer();
  }
  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#takeBytes()?.then((bytes) => new Uint8Array(bytes)) ?? this.#real!.bytes();
  }

  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#materialize().body;
  }
  blob(): Promise<Blob> {
    return this.#materialize().blob();
  }
  formData(): Promise<FormData> {
    return this.#materialize().formData();
  }
  clone(): Request {
    return this.#materialize().clone();
  }
  get cache(): RequestCache {
    return this.#materialize().cache;
  }
  get credentials(): RequestCredentials {
    return this.#materialize().credentials;
  }
  get destination(): RequestDestination {
    return this.#materialize().destination;
  }
  get integrity(): string {
    return this.#materialize().integrity;
  }
  get keepalive(): boolean {
    return this.#materialize().keepalive;
  }
  get mode(): RequestMode {
    return this.#materialize().mode;
  }
  get redirect(): RequestRedirect {
    return this.#materialize().redirect;
  }
  get referrer(): string {
    return this.#materialize().referrer;
  }
  get referrerPolicy(): ReferrerPolicy {
    return this.#materialize().referrerPolicy;
  }
  get duplex(): 'half' {
    return (this.#materialize() as Request & { duplex: 'half' }).duplex;
  }
}
Object.setPrototypeOf(ServedRequest.prototype, Request.prototype);

/**
 * The Request for one served request. For a method undici's Request refuses, undici's own
 * constructor runs, so that it throws exactly the TypeError it threw when every served request
 * was an undici Request.
 */
export function servedRequest(init: ServedRequestInit): ServedRequest {
  if (forbiddenMethods.has(init.method)) new Request(init.url, { method: init.method });
  return new ServedRequest(init);
}
