/**
 * Waits `ms` milliseconds, or rejects with the signal's reason as soon as it aborts, so that
 * a backend stops working on a request its client has abandoned. `Infinity` waits until abort.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      if (timer) clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms)
      : undefined;
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
