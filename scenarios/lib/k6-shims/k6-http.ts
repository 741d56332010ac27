/**
 * k6/http's post(), answering from a responder the test installs and keeping every request.
 * Responses carry what the library reads: status, headers (k6 canonicalises names, e.g.
 * X-Fleet-Backend), the text body and timings.duration.
 */
export interface ShimRequest {
  method: string;
  url: string;
  body: string;
  params: { headers?: Record<string, string>; tags?: Record<string, string>; timeout?: string; responseType?: string };
}

export interface ShimResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
  error: string;
  error_code: number;
  timings: { duration: number; waiting: number };
}

export type Responder = (request: ShimRequest) => Partial<ShimResponse>;

export const sentRequests: ShimRequest[] = [];
let responder: Responder = () => ({ status: 200, body: '{}' });

export function respondWith(next: Responder): void {
  responder = next;
}

function post(url: string, body: string, params: ShimRequest['params'] = {}): ShimResponse {
  const request = { method: 'POST', url, body, params };
  sentRequests.push(request);
  const answer = responder(request);
  return { status: 200, headers: {}, body: '', error: '', error_code: 0, timings: { duration: 12.5, waiting: 10 }, ...answer };
}

export const http = { post };
