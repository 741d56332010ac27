import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../../mocks/apim/gateway/gateway.ts';
import { removeTestConfigs, writeTestConfig } from '../../../mocks/apim/gateway/test-config.ts';
import { ManualClock } from '../../../mocks/shared/clock.ts';
import { EmulatorUtilisation } from './emulator-utilisation.ts';

/**
 * Against a real emulator instance whose capacity model runs on a clock the test moves: every
 * request goes through the instance's own admission (the 404 of an unknown path comes after
 * it), so the load read back is the one the model enforced. 2 units × 100 req/s: each admitted
 * request is 5 ms of the server's time.
 */
const T = Date.UTC(2026, 0, 1);
let gateway: RunningGateway | null = null;

afterEach(async () => {
  await gateway?.close();
  gateway = null;
});
afterAll(() => removeTestConfigs());

async function startModelled(clock: ManualClock, capacity: object = { enabled: true, requestsPerSecondPerUnit: 100, queueLength: 10_000, queueTimeoutSeconds: 60 }): Promise<RunningGateway> {
  const { config } = writeTestConfig({ regions: [{ name: 'East US', units: 2 }], capacity });
  gateway = await startGateway({ config, logsDir: null, clock });
  return gateway;
}

async function send(url: string, count: number): Promise<void> {
  const answers = await Promise.all(Array.from({ length: count }, () => fetch(`${url}/no-such-api`, { method: 'POST', body: '{}' }).then((r) => r.arrayBuffer().then(() => r.status))));
  expect(answers).toEqual(Array(count).fill(404));
}

describe('EmulatorUtilisation', () => {
  it("tracks the capacity model's load: served time against units × rate, capped at 100% however much is offered", async () => {
    const clock = new ManualClock(T);
    const { instances } = await startModelled(clock);
    const url = instances[0]!.url;
    const source = new EmulatorUtilisation({ instances });
    expect(source.describe).toBe('emulator: capacity model load of East US (200 req/s), read every 500 ms');
    source.sample();

    // 0-1 s: 10 requests at once (50 ms of work).
    await send(url, 10);
    clock.advance(1000);
    source.sample();
    // 1-2 s: one request every 20 ms (50 × 5 ms = 250 ms of work), read every 100 ms.
    for (let i = 0; i < 50; i++) {
      await send(url, 1);
      clock.advance(20);
      if (i % 5 === 4) source.sample();
    }
    // 2-4 s: 300 at once, 1,500 ms of work: the first second is all busy, half the next.
    await send(url, 300);
    clock.advance(1000);
    source.sample();
    expect(instances[0]!.capacityUsage()).toMatchObject({ at: T + 3000, backlogMs: 500 });
    clock.advance(1000);
    source.sample();

    const at = async (start: number, end: number) => (await source.read({ start: T + start, end: T + end })).metrics;
    expect(await at(0, 1000)).toEqual([{ name: 'capacity', region: 'East US', unit: 'percent', average: 5, max: 5, samples: 1 }]);
    const steady = (await at(1000, 2000))[0]!;
    expect(steady.average).toBeCloseTo(25, 9);
    expect(steady.max).toBeCloseTo(25, 9);
    expect(steady.samples).toBe(10);
    expect(await at(2000, 3000)).toEqual([{ name: 'capacity', region: 'East US', unit: 'percent', average: 100, max: 100, samples: 1 }]);
    expect(await at(3000, 4000)).toEqual([{ name: 'capacity', region: 'East US', unit: 'percent', average: 50, max: 50, samples: 1 }]);
    const whole = (await at(0, 4000))[0]!;
    expect(whole.average).toBeCloseTo((50 + 250 + 1000 + 500) / 40, 9);
    expect(whole.max).toBe(100);
    // Half of the 100% second and half of the 50% one.
    expect((await at(2500, 3500))[0]!.average).toBeCloseTo(75, 9);
  });

  it('samples when started and stopped, says a window it has no reading of, and is complete once stopped', async () => {
    const clock = new ManualClock(T);
    const { instances } = await startModelled(clock);
    const source = new EmulatorUtilisation({ instances, intervalMs: 60_000 });
    source.start();
    await send(instances[0]!.url, 20);
    clock.advance(1000);
    const early = await source.read({ start: T, end: T + 1000 });
    expect(early).toMatchObject({ complete: false, metrics: [{ average: null, max: null, samples: 0 }] });
    expect(early.note).toBe('East US: no reading of the load inside the window (readings every 60000 ms)');
    await source.stop();
    expect(await source.read({ start: T, end: T + 1000 })).toEqual({ complete: true, metrics: [{ name: 'capacity', region: 'East US', unit: 'percent', average: 10, max: 10, samples: 1 }] });
  });

  it('says so when the capacity model is off', async () => {
    const { instances } = await startModelled(new ManualClock(T), { enabled: false });
    const source = new EmulatorUtilisation({ instances });
    expect(instances[0]!.capacityUsage()).toBeNull();
    source.start();
    await source.stop();
    expect(await source.read({ start: T, end: T + 1000 })).toEqual({ metrics: [], complete: true, note: source.describe });
    expect(source.describe).toMatch(/capacity model is off/);
  });
});
