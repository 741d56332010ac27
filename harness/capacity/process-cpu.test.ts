import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { machineTicks, processCpuSeconds, watchCpu } from './process-cpu.ts';

const onLinux = process.platform === 'linux';

describe.skipIf(!onLinux)('process CPU from /proc', () => { // reason: /proc is Linux's
  it("reads this process's CPU time, which grows as it works", () => {
    const before = processCpuSeconds(process.pid)!;
    const until = Date.now() + 300;
    let spin = 0;
    while (Date.now() < until) spin++;
    expect(spin).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid)!).toBeGreaterThan(before);
  });

  it('says null for a process that does not exist, and reads the machine', () => {
    expect(processCpuSeconds(2 ** 22 + 12345)).toBeNull();
    const ticks = machineTicks()!;
    expect(ticks.total).toBeGreaterThan(ticks.busy);
  });

  it('tells a busy child from an idle one', async () => {
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 1500; while (Date.now() < end) {}']);
    const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1500)']);
    const busyWatch = watchCpu(() => [busy.pid]);
    const idleWatch = watchCpu(() => [idle.pid]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const busyReading = busyWatch.stop();
    const idleReading = idleWatch.stop();
    busy.kill();
    idle.kill();
    // A spinning process uses a good part of a core even on a shared machine; an idle one almost none.
    expect(busyReading.processCores!).toBeGreaterThan(0.3);
    expect(idleReading.processCores!).toBeLessThan(0.2);
    expect(busyReading.cores).toBeGreaterThanOrEqual(1);
  });
});
