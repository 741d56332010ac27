import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.ts';
import { GatewayCapacity } from './capacity-model.ts';

describe('GatewayCapacity', () => {
  it('serves at once below capacity', () => {
    const clock = new ManualClock();
    const capacity = new GatewayCapacity({ units: 2, requestsPerSecondPerUnit: 50, queueLength: 10, queueTimeoutSeconds: 5 }, clock);
    expect(capacity.capacityPerSecond).toBe(100);
    for (let i = 0; i < 5; i++) {
      expect(capacity.admit()).toEqual({ kind: 'serve', waitMs: 0 });
      clock.advance(10);
    }
  });

  it('makes a burst wait: each request one service time after the previous', () => {
    const clock = new ManualClock();
    const capacity = new GatewayCapacity({ units: 1, requestsPerSecondPerUnit: 100, queueLength: 10, queueTimeoutSeconds: 5 }, clock);
    expect([1, 2, 3, 4].map(() => capacity.admit())).toEqual([
      { kind: 'serve', waitMs: 0 },
      { kind: 'serve', waitMs: 10 },
      { kind: 'serve', waitMs: 20 },
      { kind: 'serve', waitMs: 30 },
    ]);
  });

  it('drops when the queue is full, and serves again once it drains', () => {
    const clock = new ManualClock();
    const capacity = new GatewayCapacity({ units: 1, requestsPerSecondPerUnit: 10, queueLength: 2, queueTimeoutSeconds: 60 }, clock);
    expect(capacity.admit().kind).toBe('serve');
    expect(capacity.admit()).toEqual({ kind: 'serve', waitMs: 100 });
    expect(capacity.admit()).toEqual({ kind: 'serve', waitMs: 200 });
    expect(capacity.admit()).toEqual({ kind: 'drop', reason: 'queue-full' });
    clock.advance(200);
    expect(capacity.admit()).toEqual({ kind: 'serve', waitMs: 100 });
  });

  it('drops a request that would wait past the queue timeout', () => {
    const clock = new ManualClock();
    const capacity = new GatewayCapacity({ units: 1, requestsPerSecondPerUnit: 1, queueLength: 100, queueTimeoutSeconds: 2 }, clock);
    expect(capacity.admit()).toEqual({ kind: 'serve', waitMs: 0 });
    expect(capacity.admit()).toEqual({ kind: 'serve', waitMs: 1000 });
    expect(capacity.admit()).toEqual({ kind: 'serve', waitMs: 2000 });
    expect(capacity.admit()).toEqual({ kind: 'drop', reason: 'queue-timeout' });
  });

  it('reports its work so far: busy time served up to now and the backlog still queued', () => {
    const clock = new ManualClock(0);
    const capacity = new GatewayCapacity({ units: 1, requestsPerSecondPerUnit: 100, queueLength: 10, queueTimeoutSeconds: 5 }, clock);
    expect(capacity.usage()).toEqual({ at: 0, busyMs: 0, backlogMs: 0, capacityPerSecond: 100 });
    for (let i = 0; i < 4; i++) capacity.admit();
    expect(capacity.usage()).toEqual({ at: 0, busyMs: 0, backlogMs: 40, capacityPerSecond: 100 });
    clock.advance(25);
    expect(capacity.usage()).toMatchObject({ busyMs: 25, backlogMs: 15 });
    capacity.admit();
    clock.advance(1000);
    expect(capacity.usage()).toMatchObject({ at: 1025, busyMs: 50, backlogMs: 0 });
  });

  it('serves exactly the configured rate under sustained overload', () => {
    const clock = new ManualClock();
    const capacity = new GatewayCapacity({ units: 3, requestsPerSecondPerUnit: 100, queueLength: 50, queueTimeoutSeconds: 1 }, clock);
    let served = 0;
    // 1,000 requests per second offered for 10 seconds against 300 per second of capacity.
    for (let ms = 0; ms < 10_000; ms++) {
      if (capacity.admit().kind === 'serve') served++;
      clock.advance(1);
    }
    expect(served).toBeGreaterThanOrEqual(3000);
    expect(served).toBeLessThanOrEqual(3051);
  });
});
