/**
 * A buffered answer whose body and wire headers are worked out when it is built, so that the
 * node:http adapter writes them without reading a Response back, and without an undici
 * Response being built at all unless someone looks at one.
 *
 * Why: an undici Response per answer (webidl conversion and validation of every header into a
 * Headers, a ReadableStream around the body) was about a ninth of the CPU a small request
 * cost, and the adapter never needed it: msw's getResponse hands back the very object the
 * resolver returned (RequestHandler.run in node_modules/msw/lib/_chunks/request-handler.js
 * calls forwardResponseCookies, which returns at once under Node, and complete(), which
 * returns the response untouched unless the resolver scheduled `finalize` cleanups; it wraps
 * the body only then, through `response.body`).
 *
 * A PreparedResponse answers status, statusText, ok, type, url and redirected itself; any
 * other member (headers, body, text(), clone(), …) builds the undici Response from the same
 * body and init and delegates to it. The prototype chain runs through Response.prototype, so
 * `instanceof Response` holds (msw relies on it for a thrown response), and every member of
 * the Response interface is defined here, so none of undici's brand-checked accessors is
 * reached. `new Response(...)` for the same body and init is what it stands for.
 */

/** What the adapter writes: status, then the headers and bytes as node:http takes them. */
export interface PreparedAnswer {
  status: number;
  /**
   * Names and values alternating, as node:http's writeHead takes them: the names sorted and
   * lower case as the generic path would write them, then content-length. A flat list
   * rather than a record: no object with a dozen dynamic keys to build per answer.
   */
  headers: string[];
  /**
   * The body as text, encoded as UTF-8 on the way out. Text rather than bytes: node:http
   * sends a text body in the same write as the head (one string, one syscall), where a Buffer
   * goes out as a second chunk of a writev; and no Buffer is built per answer.
   */
  body: string;
}

/**
 * Values that go out exactly as given on both paths: undici's Response trims HTTP whitespace
 * at the edges and throws on NUL, CR, LF or a character above U+00FF, and node:http's
 * writeHead throws on any other control character. Anything matching is left to a real
 * Response and the generic path, which normalise or throw as they always did.
 */
const valueNotKeptAsIs = /^[\t ]|[\t ]$|[^\t\x20-\x7e\x80-\xff]/;
/** Lower-case RFC 9110 tokens only: upper case is folded by a Response, other names throw. */
const lowerCaseToken = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Names already found to be kept as is; handlers use the same few dozen, so a bounded set. */
const checkedNames = new Set<string>();

function nameKeptAsIs(name: string): boolean {
  if (checkedNames.has(name)) return true;
  if (!lowerCaseToken.test(name) || name === 'set-cookie' || name === 'content-length') return false;
  if (checkedNames.size < 1024) checkedNames.add(name);
  return true;
}

/**
 * Statuses a Response accepts with a body: 200 to 599 except the null-body ones. Others go to
 * a real Response, which throws for them as before.
 */
function statusTakesBody(status: number): boolean {
  return Number.isInteger(status) && status >= 200 && status <= 599 && status !== 204 && status !== 205 && status !== 304;
}

export class PreparedResponse implements Response {
  readonly status: number;
  readonly #answer: PreparedAnswer;
  #real: Response | undefined;

  constructor(answer: PreparedAnswer) {
    this.status = answer.status;
    this.#answer = answer;
  }

  /**
   * The bytes and headers to write, if the answer can still go out as prepared: not when a
   * real Response was built and its body read or locked (then it goes out as that Response
   * would, through the generic path).
   */
  get wire(): PreparedAnswer | undefined {
    const real = this.#real;
    if (real !== undefined && (real.bodyUsed || real.body?.locked === true)) return undefined;
    return this.#answer;
  }

  #materialize(): Response {
    // A string body only adds a default content-type, and a prepared answer has its own.
    if (this.#real === undefined) {
      // From the prepared headers (a copy the caller cannot change since), less the
      // content-length that only the wire carries.
      const headers: [string, string][] = [];
      const list = this.#answer.headers;
      for (let i = 0; i < list.length; i += 2) if (list[i] !== 'content-length') headers.push([list[i]!, list[i + 1]!]);
      this.#real = new Response(this.#answer.body, { status: this.status, headers });
    }
    return this.#real;
  }

  get statusText(): string {
    return '';
  }
  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }
  get type(): ResponseType {
    return 'default';
  }
  get url(): string {
    return '';
  }
  get redirected(): boolean {
    return false;
  }
  get bodyUsed(): boolean {
    return this.#real?.bodyUsed ?? false;
  }

  get headers(): Headers {
    return this.#materialize().headers;
  }
  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#materialize().body;
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#materialize().arrayBuffer();
  }
  blob(): Promise<Blob> {
    return this.#materialize().blob();
  }
  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#materialize().bytes();
  }
  formData(): Promise<FormData> {
    return this.#materialize().formData();
  }
  json(): Promise<unknown> {
    return this.#materialize().json();
  }
  text(): Promise<string> {
    return this.#materialize().text();
  }
  clone(): Response {
    return this.#materialize().clone();
  }
}
Object.setPrototypeOf(PreparedResponse.prototype, Response.prototype);

/**
 * Sorts header names in place as a Response orders them (by UTF-16 code unit, which is byte
 * order for the ASCII tokens kept here). An insertion sort: for the dozen names of an answer
 * it takes half the time Array.prototype.sort does.
 */
function sortNames(names: string[]): string[] {
  for (let i = 1; i < names.length; i++) {
    const name = names[i]!;
    let j = i - 1;
    while (j >= 0 && names[j]! > name) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = name;
  }
  return names;
}

/**
 * `new Response(body, { status, headers })` for a whole-body answer, prepared so that the
 * adapter writes the same bytes and headers without a Response. Answers a Response would not
 * keep exactly as given (no content-type, upper-case names, padded or invalid values,
 * set-cookie, content-length, a status without a body) are built as a real Response, so they
 * take the generic path and stay exactly as they were, errors included.
 */
export function bufferedResponse(body: string, init: { status: number; headers: Record<string, string> }): Response {
  const names = Object.keys(init.headers);
  let preparable = statusTakesBody(init.status) && init.headers['content-type'] !== undefined;
  for (let i = 0; preparable && i < names.length; i++) {
    const name = names[i]!;
    preparable = nameKeptAsIs(name) && !valueNotKeptAsIs.test(init.headers[name]!);
  }
  if (!preparable) return new Response(body, init);
  const headers: string[] = [];
  for (const name of sortNames(names)) headers.push(name, init.headers[name]!);
  headers.push('content-length', String(Buffer.byteLength(body)));
  return new PreparedResponse({ status: init.status, headers, body });
}
