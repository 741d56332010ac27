import { HttpHandler, type HttpHandlerMethod, type Match, type ResponseResolutionContext } from 'msw';

/**
 * An msw HttpHandler that remembers how the request URLs it has seen matched its path.
 *
 * Why: msw parses every request it tries a handler on from scratch: `new URL(request.url)`,
 * then `matchRequestUrl` (clean the URL, normalise the handler's path, run path-to-regexp).
 * That was about 6% of the mock fleet's CPU per request at zero modelled latency (V8 CPU
 * profile under k6), though a load test sends the same few URLs over and over. The match is a
 * pure function of the URL, the handler's path and the base URL, so it is worked out once per
 * URL here, through msw's own parse, and copied for each request (`params` is handed to the
 * resolver, which may change it).
 *
 * Extending a handler and overriding `parse` is msw's documented way of customising request
 * matching. Cookies: under Node msw has no cookie store and reads cookies from the `cookie`
 * header alone, so a request without one has none; a request with one, or a CONNECT, goes
 * through msw's parse unchanged.
 */
export class UrlMemoHttpHandler extends HttpHandler {
  readonly #matches = new Map<string, Match>();
  #baseUrl: string | undefined;

  constructor(method: HttpHandlerMethod, path: string, resolver: ConstructorParameters<typeof HttpHandler>[2]) {
    super(method, path, resolver);
  }

  override async parse(args: { request: Request; resolutionContext?: ResponseResolutionContext }): Promise<{ match: Match; cookies: Record<string, string> }> {
    const { request } = args;
    if (request.method === 'CONNECT' || request.headers.get('cookie') !== null) return super.parse(args);
    const baseUrl = args.resolutionContext?.baseUrl;
    if (baseUrl !== this.#baseUrl) {
      this.#matches.clear();
      this.#baseUrl = baseUrl;
    }
    let match = this.#matches.get(request.url);
    if (match === undefined) {
      match = (await super.parse(args)).match;
      if (request.url.length <= MEMO_LONGEST_URL) {
        // Bounded: odd traffic (unique query strings) starts the memo afresh instead of growing it.
        if (this.#matches.size >= MEMO_URLS) this.#matches.clear();
        this.#matches.set(request.url, match);
      }
    }
    return { match: { matches: match.matches, params: { ...match.params } }, cookies: {} };
  }
}

const MEMO_URLS = 1024;
const MEMO_LONGEST_URL = 2048;
