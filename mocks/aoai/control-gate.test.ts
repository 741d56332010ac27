import { describe, expect, it } from 'vitest';
import { controlGate, isLoopbackHost } from './control-gate.ts';

function caller(remoteAddress: string, authorization?: string): Parameters<ReturnType<typeof controlGate>>[0] {
  return { headers: authorization === undefined ? {} : { authorization }, socket: { remoteAddress } } as Parameters<ReturnType<typeof controlGate>>[0];
}

describe('controlGate', () => {
  it('without a token, lets loopback callers in and answers anyone else 403', async () => {
    const gate = controlGate(undefined);
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(gate(caller(address)), address).toBeUndefined();
    for (const address of ['10.0.0.7', '192.168.1.20', '::ffff:10.0.0.7', 'fe80::1', '']) {
      const refused = gate(caller(address));
      expect(refused?.status, address).toBe(403);
      expect(await refused!.json()).toEqual({ error: 'the control API answers loopback callers only unless a token is configured' });
    }
  });

  it('with a token, wants it from every caller, loopback included, and never echoes it', async () => {
    const gate = controlGate('s3cret');
    expect(gate(caller('10.0.0.7', 'Bearer s3cret'))).toBeUndefined();
    expect(gate(caller('127.0.0.1', 'Bearer s3cret'))).toBeUndefined();
    for (const presented of [undefined, 'Bearer s3cre', 'Bearer s3cretX', 's3cret', 'bearer s3cret']) {
      const refused = gate(caller('127.0.0.1', presented));
      expect(refused?.status, String(presented)).toBe(401);
      expect(await refused!.text()).not.toContain('s3cret');
    }
  });
});

describe('isLoopbackHost', () => {
  it('knows the addresses only this machine reaches', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.7', 'example.com', '[::1]', '']) expect(isLoopbackHost(host), host).toBe(false);
  });
});
