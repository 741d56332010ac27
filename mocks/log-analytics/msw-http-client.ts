import type { LogsQueryClientOptions } from '@azure/monitor-query-logs';
import { getResponse, type RequestHandler } from 'msw';

/**
 * An HttpClient for the Azure SDK's pipeline that answers with msw handlers in memory, as
 * azure-sdk-for-js's own tests inject a transport: the real LogsQueryClient builds, signs
 * (bearer token policy), serializes and deserializes every request as it would against Azure;
 * only the last step, the socket, is replaced by msw's getResponse. A request no handler takes
 * fails loudly rather than reaching the network.
 */
type HttpClient = NonNullable<LogsQueryClientOptions['httpClient']>;
type PipelineRequest = Parameters<HttpClient['sendRequest']>[0];
type PipelineResponse = Awaited<ReturnType<HttpClient['sendRequest']>>;
type HttpHeaders = PipelineResponse['headers'];

export function mswHttpClient(handlers: readonly RequestHandler[]): HttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      if (request.body !== undefined && request.body !== null && typeof request.body !== 'string') {
        throw new TypeError(`mswHttpClient: only string bodies are supported (the query API sends JSON), got ${typeof request.body}`);
      }
      const headers = new Headers();
      for (const [name, value] of request.headers) headers.set(name, value);
      const fetchRequest = new Request(request.url, { method: request.method, headers, ...(typeof request.body === 'string' ? { body: request.body } : {}), ...(request.abortSignal ? { signal: request.abortSignal as AbortSignal } : {}) });
      const response = await getResponse([...handlers], fetchRequest);
      if (!response) throw new Error(`mswHttpClient: no msw handler for ${request.method} ${request.url}`);
      return { request, status: response.status, headers: responseHeaders(response.headers), bodyAsText: await response.text() };
    },
  };
}

/** The pipeline's HttpHeaders over a copy of the fetch Response's headers (names case-insensitive). */
function responseHeaders(source: Headers): HttpHeaders {
  const map = new Map<string, { name: string; value: string }>();
  source.forEach((value, name) => map.set(name.toLowerCase(), { name, value }));
  const headers: HttpHeaders = {
    get: (name) => map.get(name.toLowerCase())?.value,
    has: (name) => map.has(name.toLowerCase()),
    set: (name, value) => void map.set(name.toLowerCase(), { name, value: String(value) }),
    delete: (name) => void map.delete(name.toLowerCase()),
    toJSON: (options) => Object.fromEntries([...map.entries()].map(([key, h]) => [options?.preserveCase ? h.name : key, h.value])),
    *[Symbol.iterator]() {
      for (const h of map.values()) yield [h.name, h.value] as [string, string];
    },
  };
  return headers;
}
