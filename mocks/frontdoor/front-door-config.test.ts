import { describe, expect, it } from 'vitest';
import { APIM_HEALTH_PATH, resolveOrigins, resolveProbe } from './front-door-config.ts';

describe('resolveOrigins', () => {
  it('fills the documented defaults: priority 1, weight 50, enabled, host header = origin host', () => {
    const [origin] = resolveOrigins([{ name: 'east', url: 'http://127.0.0.1:8080' }]);
    expect(origin).toMatchObject({ name: 'east', priority: 1, weight: 50, enabled: true, hostHeader: '127.0.0.1:8080' });
    expect(origin?.url.href).toBe('http://127.0.0.1:8080/');
  });

  it('keeps an explicit host header, and "" passes the client Host through', () => {
    const [a, b] = resolveOrigins([
      { name: 'a', url: 'https://svc-eastus-01.regional.azure-api.net', originHostHeader: 'svc.azure-api.net' },
      { name: 'b', url: 'http://127.0.0.1:1', originHostHeader: '' },
    ]);
    expect(a?.hostHeader).toBe('svc.azure-api.net');
    expect(b?.hostHeader).toBeUndefined();
  });

  it('rejects out-of-range priority and weight, duplicate names, paths and other schemes', () => {
    const url = 'http://127.0.0.1:1';
    expect(() => resolveOrigins([])).toThrow(/at least one origin/);
    expect(() => resolveOrigins([{ name: 'a', url, priority: 0 }])).toThrow(/priority/);
    expect(() => resolveOrigins([{ name: 'a', url, priority: 6 }])).toThrow(/priority/);
    expect(() => resolveOrigins([{ name: 'a', url, weight: 0 }])).toThrow(/weight/);
    expect(() => resolveOrigins([{ name: 'a', url, weight: 1001 }])).toThrow(/weight/);
    expect(() => resolveOrigins([{ name: 'a', url, weight: 1.5 }])).toThrow(/weight/);
    expect(() => resolveOrigins([{ name: 'a', url }, { name: 'a', url }])).toThrow(/twice/);
    expect(() => resolveOrigins([{ name: 'a', url: 'http://127.0.0.1:1/gateway' }])).toThrow(/host:port only/);
    expect(() => resolveOrigins([{ name: 'a', url: 'ftp://127.0.0.1' }])).toThrow(/http and https/);
    expect(() => resolveOrigins([{ name: 'a', url: 'not a url' }])).toThrow(/not a URL/);
    expect(() => resolveOrigins([{ name: 'a', url, priority: 5, weight: 1000 }])).not.toThrow();
  });
});

describe('resolveProbe', () => {
  it('defaults: 30 s, 3 of 4, HEAD to APIM health path, timeout min(interval, 10 s), healthy at start', () => {
    expect(resolveProbe()).toEqual({
      intervalSeconds: 30,
      sampleSize: 4,
      successfulSamplesRequired: 3,
      path: APIM_HEALTH_PATH,
      method: 'HEAD',
      timeoutMs: 10_000,
      initialState: 'healthy',
    });
    expect(APIM_HEALTH_PATH).toBe('/status-0123456789abcdef');
    expect(resolveProbe({ intervalSeconds: 0.2 }).timeoutMs).toBe(200);
    expect(resolveProbe({ intervalSeconds: 5, timeoutMs: 1234 }).timeoutMs).toBe(1234);
  });

  it('rejects settings AFD would not accept or that cannot work', () => {
    expect(() => resolveProbe({ intervalSeconds: 0 })).toThrow(/intervalSeconds/);
    expect(() => resolveProbe({ intervalSeconds: 256 })).toThrow(/intervalSeconds/);
    expect(() => resolveProbe({ sampleSize: 2, successfulSamplesRequired: 3 })).toThrow(/successfulSamplesRequired/);
    expect(() => resolveProbe({ path: 'status' })).toThrow(/path/);
    expect(() => resolveProbe({ method: 'POST' as 'GET' })).toThrow(/method/);
    expect(() => resolveProbe({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(resolveProbe({ intervalSeconds: 255, method: 'GET' })).toMatchObject({ intervalSeconds: 255, method: 'GET' });
  });
});
