import { describe, expect, it } from 'vitest';
import { bufferedResponse, PreparedResponse } from './prepared-response.ts';

/** A prepared answer stands for `new Response(body, init)`: each check compares the two. */
const body = JSON.stringify({ hello: 'wörld' });
const headers = (): Record<string, string> => ({ 'x-zeta': 'last', 'content-type': 'application/json', 'x-alpha': 'first' });

describe('prepared response', () => {
  it('is a Response with the same status, headers and body', async () => {
    const prepared = bufferedResponse(body, { status: 201, headers: headers() });
    const real = new Response(body, { status: 201, headers: headers() });
    expect(prepared).toBeInstanceOf(PreparedResponse);
    expect(prepared).toBeInstanceOf(Response);
    for (const key of ['status', 'statusText', 'ok', 'type', 'url', 'redirected', 'bodyUsed'] as const) expect(prepared[key], key).toBe(real[key]);
    expect([...prepared.headers]).toEqual([...real.headers]);
    expect(await prepared.text()).toBe(await real.text());
    expect(prepared.bodyUsed).toBe(true);
  });

  it('writes sorted headers and content-length, and only while its body is unread', async () => {
    const prepared = bufferedResponse(body, { status: 200, headers: headers() }) as PreparedResponse;
    expect(prepared.wire?.headers).toEqual(['content-type', 'application/json', 'x-alpha', 'first', 'x-zeta', 'last', 'content-length', String(Buffer.byteLength(body))]);
    expect(prepared.wire?.body).toBe(body);
    const copy = prepared.clone();
    expect(await copy.text()).toBe(body);
    expect(prepared.wire).toBeDefined();
    await prepared.arrayBuffer();
    expect(prepared.wire).toBeUndefined();
  });

  it('leaves to a real Response what a Response would change or refuse', () => {
    const cases: { status: number; headers: Record<string, string> }[] = [
      { status: 200, headers: { 'x-alpha': 'no content-type' } },
      { status: 200, headers: { 'content-type': 'application/json', 'X-Upper': '1' } },
      { status: 200, headers: { 'content-type': 'application/json', 'x-padded': ' 1' } },
      { status: 200, headers: { 'content-type': 'application/json', 'x-control': 'a\u0001b' } },
      { status: 200, headers: { 'content-type': 'application/json', 'content-length': '3' } },
    ];
    for (const init of cases) expect(bufferedResponse(body, init)).not.toBeInstanceOf(PreparedResponse);
    // And what a Response refuses is refused at once, as `new Response` refuses it.
    expect(() => bufferedResponse(body, { status: 204, headers: { 'content-type': 'text/plain' } })).toThrow(TypeError);
    expect(() => bufferedResponse(body, { status: 200, headers: { 'content-type': 'text/plain', 'x-bad': 'a\nb' } })).toThrow(TypeError);
    expect(() => bufferedResponse(body, { status: 200, headers: { 'content-type': 'text/plain', 'bad name': 'x' } })).toThrow(TypeError);
  });
});
