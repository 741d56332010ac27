/**
 * Small helpers that build the pieces of a PolicyContextView from what a Node HTTP server
 * has at hand, so the policy engine (and tests) do not each reinvent header folding or body
 * caching.
 */
import type { HeaderMapView, MessageBodyView, MultiValueMapView, UrlView } from './context-types.ts';

/**
 * Headers keyed by lower-case name. Accepts Node's IncomingMessage.headers (or
 * headersDistinct), a plain record in any casing, or [name, value] pairs; repeated names
 * accumulate values in order.
 */
export function headerMap(
  init: Readonly<Record<string, string | readonly string[] | undefined>> | Iterable<readonly [string, string]>,
): HeaderMapView {
  const map = new Map<string, string[]>();
  const add = (name: string, value: string | readonly string[] | undefined): void => {
    if (value === undefined) return;
    const key = name.toLowerCase();
    const list = map.get(key) ?? [];
    if (typeof value === 'string') list.push(value);
    else list.push(...value);
    map.set(key, list);
  };
  if (Symbol.iterator in init) {
    for (const [name, value] of init as Iterable<readonly [string, string]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(init)) add(name, value);
  }
  return map;
}

/** Query parameters by exact name from a query string ("?a=1&a=2") or URLSearchParams. */
export function queryMap(search: string | URLSearchParams): MultiValueMapView {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  const map = new Map<string, string[]>();
  for (const [name, value] of params) {
    const list = map.get(name) ?? [];
    list.push(value);
    map.set(name, list);
  }
  return map;
}

/** A UrlView from an absolute URL string or URL object. */
export function urlView(url: string | URL): UrlView {
  const u = typeof url === 'string' ? new URL(url) : url;
  const scheme = u.protocol.replace(/:$/, '');
  const defaultPort = scheme === 'https' ? 443 : scheme === 'http' ? 80 : 0;
  return {
    scheme,
    host: u.hostname,
    port: u.port === '' ? defaultPort : Number(u.port),
    path: decodeURIComponent(u.pathname),
    query: queryMap(u.searchParams),
    queryString: u.search,
  };
}

/**
 * A message body whose text is produced on first use (pass a function to defer decoding) and
 * whose JSON is parsed at most once. consume() models a read without preserveContent.
 */
export function messageBody(source: string | (() => string)): MessageBodyView {
  let text: string | undefined = typeof source === 'string' ? source : undefined;
  let parsed: { value: unknown } | undefined;
  return {
    text(): string {
      if (text === undefined) text = (source as () => string)();
      return text;
    },
    json(): unknown {
      if (parsed === undefined) parsed = { value: JSON.parse(this.text()) };
      return parsed.value;
    },
    consume(): void {
      text = '';
      parsed = undefined;
    },
  };
}
