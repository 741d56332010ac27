import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, onAFreePort, PortTakenError } from './free-port.ts';

describe('freePort', () => {
  it('gives a port a listener can then bind', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
    expect(port).toBeGreaterThan(0);
  });

  it('tries once more when the port was taken, and only then', async () => {
    const tried: number[] = [];
    const started = await onAFreePort(async (port) => {
      tried.push(port);
      if (tried.length === 1) throw new PortTakenError(`port ${port} was taken`);
      return port;
    });
    expect(tried).toHaveLength(2);
    expect(started).toBe(tried[1]);
    await expect(onAFreePort(async () => Promise.reject(new Error('a broken binary')))).rejects.toThrow('a broken binary');
    await expect(onAFreePort(async (port) => Promise.reject(new PortTakenError(`port ${port} was taken`)))).rejects.toThrow(PortTakenError);
  });
});
