import { createServer } from 'node:net';

/**
 * For tests with an IPv6 case: why [::1] cannot be listened on here (a container or a kernel
 * without IPv6), or null when it can. A test skips its IPv6 case on a reason, and prints it.
 */
export async function ipv6LoopbackUnavailable(): Promise<string | null> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(0, '::1', () => resolve());
    });
    return null;
  } catch (error) {
    return `cannot listen on [::1] (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  } finally {
    if (probe.listening) await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}
