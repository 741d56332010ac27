import { describe, expect, it } from 'vitest';
import { clientResponseHeaders, originRequestHeaders, wantsDebugInfo } from './forwarded-headers.ts';
import type { OriginRequestContext } from './forwarded-headers.ts';

const context: OriginRequestContext = {
  clientHost: 'spillway.azurefd.net',
  socketIp: '10.0.0.7',
  httpVersion: '1.1',
  clientProtocol: 'http',
  ref: '20260101T000000Z-abc',
  frontDoorId: '55ce4ed1-4b06-4bf1-b40e-4638452104da',
  hostHeader: 'svc-eastus-01.regional.azure-api.net',
};

describe('originRequestHeaders', () => {
  it('adds the AFD headers and sets Host to the origin host header', () => {
    const headers = originRequestHeaders(['Host', 'spillway.azurefd.net', 'Api-Key', 'k', 'Content-Type', 'application/json'], context);
    expect(headers).toEqual({
      host: 'svc-eastus-01.regional.azure-api.net',
      'api-key': 'k',
      'content-type': 'application/json',
      via: '1.1 Azure',
      'x-azure-clientip': '10.0.0.7',
      'x-azure-socketip': '10.0.0.7',
      'x-azure-ref': '20260101T000000Z-abc',
      'x-azure-requestchain': 'hops=1',
      'x-azure-fdid': '55ce4ed1-4b06-4bf1-b40e-4638452104da',
      'x-forwarded-for': '10.0.0.7',
      'x-forwarded-host': 'spillway.azurefd.net',
      'x-forwarded-proto': 'http',
    });
  });

  it('appends to X-Forwarded-For and Via, overrides X-Forwarded-Host/Proto, counts hops', () => {
    const headers = originRequestHeaders(
      [
        'Host', 'spillway.azurefd.net',
        'X-Forwarded-For', '203.0.113.9',
        'Via', '1.1 corp-proxy',
        'X-Forwarded-Host', 'spoofed.example',
        'X-Forwarded-Proto', 'https',
        'X-Azure-RequestChain', 'hops=2',
        'X-Azure-FDID', 'spoofed',
        'X-Azure-Ref', 'spoofed',
      ],
      context,
    );
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 10.0.0.7');
    expect(headers.via).toBe('1.1 corp-proxy, 1.1 Azure');
    expect(headers['x-forwarded-host']).toBe('spillway.azurefd.net');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-azure-requestchain']).toBe('hops=3');
    expect(headers['x-azure-fdid']).toBe(context.frontDoorId);
    expect(headers['x-azure-ref']).toBe(context.ref);
  });

  it('drops reserved X-FD-* and hop-by-hop headers, including those named in Connection', () => {
    const headers = originRequestHeaders(
      ['X-FD-HealthProbe', '1', 'Connection', 'keep-alive, X-Private', 'Keep-Alive', 'timeout=5', 'X-Private', 'secret', 'Transfer-Encoding', 'chunked', 'TE', 'trailers', 'Upgrade', 'h2c', 'Accept', '*/*'],
      context,
    );
    for (const name of ['x-fd-healthprobe', 'connection', 'keep-alive', 'x-private', 'transfer-encoding', 'te', 'upgrade']) expect(headers).not.toHaveProperty(name);
    expect(headers.accept).toBe('*/*');
  });

  it('passes the client Host through when no origin host header is configured', () => {
    expect(originRequestHeaders(['Host', 'spillway.azurefd.net'], { ...context, hostHeader: undefined }).host).toBe('spillway.azurefd.net');
  });

  it('keeps repeated headers', () => {
    expect(originRequestHeaders(['X-Tag', 'a', 'x-tag', 'b'], context)['x-tag']).toEqual(['a', 'b']);
  });
});

describe('clientResponseHeaders', () => {
  it('passes origin headers through and adds X-Azure-Ref and x-fd-origin', () => {
    const headers = clientResponseHeaders(
      ['Content-Type', 'text/event-stream', 'Transfer-Encoding', 'chunked', 'Connection', 'keep-alive', 'X-Ms-Region', 'East US', 'X-Azure-Ref', 'from-origin', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'],
      { ref: 'ref-1', origin: 'east', originStatus: 200, debug: false },
    );
    expect(headers).toEqual({
      'content-type': 'text/event-stream',
      'x-ms-region': 'East US',
      'set-cookie': ['a=1', 'b=2'],
      'x-azure-ref': 'ref-1',
      'x-fd-origin': 'east',
    });
  });

  it('adds X-Azure-OriginStatusCode only for X-Azure-DebugInfo: 1', () => {
    expect(clientResponseHeaders([], { ref: 'r', origin: 'o', originStatus: 429, debug: true })['x-azure-originstatuscode']).toBe('429');
    expect(clientResponseHeaders([], { ref: 'r', origin: 'o', originStatus: 429, debug: false })).not.toHaveProperty('x-azure-originstatuscode');
    expect(wantsDebugInfo('1')).toBe(true);
    expect(wantsDebugInfo('0')).toBe(false);
    expect(wantsDebugInfo(undefined)).toBe(false);
  });
});
