import { describe, expect, it } from 'vitest';
import { ServedRequest, servedRequest } from './served-request.ts';

/**
 * A ServedRequest stands for the undici Request the adapter used to build from the same
 * parts: each check compares the two.
 */
const url = 'http://127.0.0.1:8080/openai/deployments/d/chat/completions?api-version=2024-10-21';
const rawHeaders = ['Host', '127.0.0.1:8080', 'Content-Type', 'application/json', 'X-Repeated', 'a', 'x-repeated', ' b\t', 'Cookie', 'k=v', 'Api-Key', 'secret'];
const body = Buffer.from('{"messages":[]}');

function both(): { served: ServedRequest; real: Request } {
  const pairs: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) pairs.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return {
    served: servedRequest({ url, method: 'POST', rawHeaders, body }),
    real: new Request(url, { method: 'POST', headers: pairs, body: body as Uint8Array<ArrayBuffer> }),
  };
}

describe('served request', () => {
  it('answers url, method and headers as the undici Request does', () => {
    const { served, real } = both();
    expect(served).toBeInstanceOf(Request);
    expect(served.url).toBe(real.url);
    expect(served.method).toBe(real.method);
    for (const name of ['content-type', 'X-REPEATED', 'cookie', 'api-key', 'missing', 'host']) {
      expect(served.headers.get(name), name).toBe(real.headers.get(name));
      expect(served.headers.has(name), name).toBe(real.headers.has(name));
    }
    expect([...served.headers]).toEqual([...real.headers]);
  });

  it('throws where undici throws: an invalid header name, a refused method', () => {
    const { served, real } = both();
    expect(() => real.headers.get('bad name')).toThrow(TypeError);
    expect(() => served.headers.get('bad name')).toThrow(TypeError);
    expect(() => served.headers.get('\u212Aey')).toThrow(TypeError);
    expect(() => servedRequest({ url, method: 'TRACE', rawHeaders: [], body: undefined })).toThrow(TypeError);
  });

  it('reads its body once, as text or json, like Request', async () => {
    const { served, real } = both();
    expect(await served.json()).toEqual(await real.json());
    expect(served.bodyUsed).toBe(real.bodyUsed);
    await expect(served.text()).rejects.toThrow(TypeError);
    expect(() => served.clone()).toThrow(TypeError);
  });

  it('builds the real Request for anything else, headers changes included', async () => {
    const { served, real } = both();
    served.headers.set('x-added', '1');
    expect(served.mode).toBe(real.mode);
    expect(served.credentials).toBe(real.credentials);
    const clone = served.clone();
    expect(clone.headers.get('x-added')).toBe('1');
    served.headers.set('x-later', '2');
    expect(served.clone().headers.get('x-later')).toBe('2');
    expect(await clone.text()).toBe(body.toString());
  });

  it('has an empty, reusable body when none was sent', async () => {
    const request = servedRequest({ url, method: 'GET', rawHeaders: [], body: undefined });
    expect(request.body).toBeNull();
    expect(await request.text()).toBe('');
    expect(request.bodyUsed).toBe(false);
  });

  it('gives a signal that aborts when the client goes, even one asked for afterwards', () => {
    const early = servedRequest({ url, method: 'POST', rawHeaders, body });
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    early.clientGone();
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('AbortError');

    const late = servedRequest({ url, method: 'POST', rawHeaders, body });
    late.clientGone();
    expect(late.signal.aborted).toBe(true);
  });
});
