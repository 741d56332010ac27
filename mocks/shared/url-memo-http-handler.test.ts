import { getResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { UrlMemoHttpHandler } from './url-memo-http-handler.ts';

/** What a resolver saw, as JSON: params, cookies and whether it ran at all. */
async function seen(handler: UrlMemoHttpHandler | ReturnType<typeof http.post>, url: string, init: RequestInit = {}, baseUrl?: string): Promise<unknown> {
  const response = await getResponse([handler], new Request(url, { method: 'POST', ...init }), { quiet: true, ...(baseUrl ? { baseUrl } : {}) });
  return response ? ((await response.json()) as unknown) : 'no match';
}

const echo = ({ params, cookies }: { params: Record<string, unknown>; cookies: Record<string, string> }): Response => Response.json({ params, cookies });

describe('UrlMemoHttpHandler', () => {
  it('matches, time after time, exactly as msw matches the same path', async () => {
    const path = 'http://127.0.0.1:9/openai/deployments/:deployment/chat/completions';
    const memo = new UrlMemoHttpHandler('POST', path, echo);
    const plain = http.post(path, echo);
    const urls = [
      'http://127.0.0.1:9/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
      'http://127.0.0.1:9/openai/deployments/gpt%2D4o%20mini/chat/completions',
      'http://127.0.0.1:9/openai/deployments/gpt-4o/completions?api-version=2024-10-21',
      'http://127.0.0.1:9/openai/deployments//chat/completions',
      'http://127.0.0.1:10/openai/deployments/gpt-4o/chat/completions',
    ];
    for (let round = 0; round < 3; round++) {
      for (const url of urls) expect(await seen(memo, url), `${url}, round ${round}`).toEqual(await seen(plain, url));
    }
    expect(await seen(memo, urls[0]!)).toEqual({ params: { deployment: 'gpt-4o' }, cookies: {} });
  });

  it('hands every request its own params, so a resolver that changes them cannot change the next match', async () => {
    const memo = new UrlMemoHttpHandler('POST', 'http://h.test/a/:id', ({ params }) => {
      const before = { ...params };
      params.id = 'changed';
      return Response.json(before);
    });
    expect(await seen(memo, 'http://h.test/a/1')).toEqual({ id: '1' });
    expect(await seen(memo, 'http://h.test/a/1')).toEqual({ id: '1' });
  });

  it('reads cookies from a cookie header, as msw does', async () => {
    const memo = new UrlMemoHttpHandler('POST', 'http://h.test/a/:id', echo);
    expect(await seen(memo, 'http://h.test/a/2')).toEqual({ params: { id: '2' }, cookies: {} });
    expect(await seen(memo, 'http://h.test/a/2', { headers: { cookie: 'session=abc; theme=dark' } })).toEqual({ params: { id: '2' }, cookies: { session: 'abc', theme: 'dark' } });
  });

  it('resolves a relative path against each base URL it is asked with', async () => {
    const memo = new UrlMemoHttpHandler('POST', '/a/:id', echo);
    expect(await seen(memo, 'http://y.test/a/3', {}, 'http://x.test')).toBe('no match');
    expect(await seen(memo, 'http://y.test/a/3', {}, 'http://y.test')).toEqual({ params: { id: '3' }, cookies: {} });
    expect(await seen(memo, 'http://y.test/a/3', {}, 'http://x.test')).toBe('no match');
  });
});
