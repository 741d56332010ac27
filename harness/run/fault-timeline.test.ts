import { describe, expect, it } from 'vitest';
import type { TimelineStep } from './scenario-plan.ts';
import { startTimeline, timelineFailure, type FaultInjectors } from './fault-timeline.ts';

function recorder() {
  const calls: string[] = [];
  const injectors: FaultInjectors = {
    'fleet-fault': async (step) => {
      calls.push(`inject ${step.id}`);
      return async () => {
        calls.push(`clear ${step.id}`);
      };
    },
    'region-down': async (step) => {
      calls.push(`down ${step.region}`);
      return async () => {
        calls.push(`up ${step.region}`);
      };
    },
  };
  return { calls, injectors };
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('fault timeline', () => {
  it('applies and clears steps in offset order, recording real times', async () => {
    const { calls, injectors } = recorder();
    const steps: TimelineStep[] = [
      { id: 'late', at: 0.06, kind: 'region-down', region: 'East US', for: 0.03 },
      { id: 'early', at: 0.01, for: 0.02, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'b1' } } },
    ];
    const start = Date.now();
    const timeline = startTimeline(steps, start, injectors);
    await until(() => calls.length === 4);
    expect(calls).toEqual(['inject early', 'clear early', 'down East US', 'up East US']);
    const [late, early] = timeline.applied;
    expect(early!.appliedAt).toBeGreaterThanOrEqual(start + 10);
    expect(early!.clearedAt).toBeGreaterThanOrEqual(early!.appliedAt! + 20);
    expect(late!.appliedAt).toBeGreaterThanOrEqual(start + 60);
    expect(late).toMatchObject({ id: 'late', action: 'region-down', target: 'East US' });
    expect(early).toMatchObject({ action: 'fleet:status 500', target: 'b1' });
    await timeline.stop();
  });

  it('clears what is still applied when stopped, and never applies what was not yet due', async () => {
    const { calls, injectors } = recorder();
    const steps: TimelineStep[] = [
      { id: 'open-ended', at: 0, kind: 'fleet-fault', fault: { kind: 'latency', latencyMs: 5, target: { region: 'East US' } } },
      { id: 'never', at: 30, kind: 'fleet-fault', fault: { kind: 'hang', target: { backend: 'b2' } } },
    ];
    const timeline = startTimeline(steps, Date.now(), injectors);
    await until(() => calls.length === 1);
    await timeline.stop();
    expect(calls).toEqual(['inject open-ended', 'clear open-ended']);
    expect(timeline.applied[0]!.clearedAt).not.toBeNull();
    expect(timeline.applied[1]).toMatchObject({ appliedAt: null, clearedAt: null });
  });

  it('records a step that could not be applied', async () => {
    const injectors: FaultInjectors = {
      'fleet-fault': async () => {
        throw new Error('control API refused: 400');
      },
      'region-down': async () => async () => undefined,
    };
    const timeline = startTimeline([{ id: 'bad', at: 0, kind: 'fleet-fault', fault: { kind: 'status', target: { backend: 'x' } } }], Date.now(), injectors);
    await until(() => timeline.applied[0]!.error !== undefined);
    expect(timeline.applied[0]).toMatchObject({ appliedAt: null, error: 'control API refused: 400' });
    await timeline.stop();
    // The run decides on it: which step failed, and why.
    expect(timelineFailure(timeline.applied)).toBe('timeline step "bad" (fleet:status on x, at 0 s) failed when it fired: control API refused: 400; the run is not judged without it');
  });

  it('names no failure when every step that fired applied (or had not fired yet)', () => {
    expect(timelineFailure([])).toBeNull();
    expect(
      timelineFailure([
        { id: 'a', step: { id: 'a', at: 1, kind: 'region-down', region: 'East US' }, atSeconds: 1, action: 'region-down', target: 'East US', appliedAt: 5, clearedAt: 9 },
        { id: 'b', step: { id: 'b', at: 99, kind: 'fleet-fault', fault: { kind: 'hang', target: { backend: 'b2' } } }, atSeconds: 99, action: 'fleet:hang', target: 'b2', appliedAt: null, clearedAt: null },
      ]),
    ).toBeNull();
  });

  it('records a rollback that failed, and the run is not judged over it', async () => {
    const injectors: FaultInjectors = {
      'fleet-fault': async () => async () => {
        throw new Error('control API unreachable');
      },
    };
    const timeline = startTimeline([{ id: 'stuck', at: 0, for: 0.01, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'x' } } }], Date.now(), injectors);
    await until(() => timeline.applied[0]!.rollbackError !== undefined);
    await timeline.stop();
    expect(timeline.applied[0]).toMatchObject({ clearedAt: null, rollbackError: 'control API unreachable' });
    expect(timelineFailure(timeline.applied)).toBe('timeline step "stuck" (fleet:status 500 on x) could not be rolled back: control API unreachable; it may still be in place, and the run is not judged');
  });

  it('rolls back at stop a step that lasts to the end, and records that rollback failing too', async () => {
    const injectors: FaultInjectors = {
      'region-down': async () => async () => {
        throw new Error('listener would not come back');
      },
    };
    const timeline = startTimeline([{ id: 'down', at: 0, kind: 'region-down', region: 'East US' }], Date.now(), injectors);
    await until(() => timeline.applied[0]!.appliedAt !== null);
    await timeline.stop();
    expect(timeline.applied[0]!.rollbackError).toBe('listener would not come back');
  });

  it('leaves no timer behind when stopped while an injection is in flight (its rollback is done by stop)', async () => {
    const calls: string[] = [];
    let release: () => void = () => undefined;
    const injectors: FaultInjectors = {
      'fleet-fault': (step) =>
        new Promise((resolve) => {
          calls.push(`inject ${step.id}`);
          release = () =>
            resolve(async () => {
              calls.push(`clear ${step.id}`);
            });
        }),
    };
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const timeline = startTimeline([{ id: 'slow', at: 0, for: 30, kind: 'fleet-fault', fault: { kind: 'hang', target: { backend: 'b' } } }], Date.now(), injectors);
    await until(() => calls.length === 1);
    const stopping = timeline.stop();
    release();
    await stopping;
    expect(calls).toEqual(['inject slow', 'clear slow']);
    // A 30 s rollback timer left here would hold a CLI process open for 30 s after the run.
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('refuses to start with a step whose kind has no injector', () => {
    const steps: TimelineStep[] = [
      { id: 'f', at: 0, kind: 'fleet-fault', fault: { kind: 'hang', target: { backend: 'b' } } },
      { id: 'r', at: 0, kind: 'region-down', region: 'East US' },
    ];
    expect(() => startTimeline(steps, Date.now(), {})).toThrow('no injector for step kind(s) fleet-fault, region-down');
  });
  describe('with a gate (the steady state judged before the method)', () => {
    const steps: TimelineStep[] = [
      { id: 'first', at: 0.02, for: 0.02, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'b1' } } },
      { id: 'second', at: 0.05, kind: 'region-down', region: 'East US' },
    ];

    it('holds the steps due after the gate until it is judged, then applies them', async () => {
      const { calls, injectors } = recorder();
      let open = (_held: boolean): void => undefined;
      const held = new Promise<boolean>((resolve) => (open = resolve));
      const timeline = startTimeline(steps, Date.now(), injectors, Date.now, undefined, new Map(), { atSeconds: 0.02, held });
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(calls).toEqual([]);
      const opened = Date.now();
      open(true);
      await until(() => calls.length === 3);
      expect(calls).toEqual(['inject first', 'down East US', 'clear first']);
      expect(timeline.applied[0]!.appliedAt).toBeGreaterThanOrEqual(opened);
      await timeline.stop();
      expect(calls).toContain('up East US');
    });

    it('never applies them when the gate does not hold', async () => {
      const { calls, injectors } = recorder();
      const timeline = startTimeline(steps, Date.now(), injectors, Date.now, undefined, new Map(), { atSeconds: 0.02, held: Promise.resolve(false) });
      await new Promise((resolve) => setTimeout(resolve, 120));
      await timeline.stop();
      expect(calls).toEqual([]);
      expect(timeline.applied.map((f) => f.appliedAt)).toEqual([null, null]);
      expect(timelineFailure(timeline.applied)).toBeNull();
    });

    it('is stopped without waiting for a gate never judged', async () => {
      const { calls, injectors } = recorder();
      const timeline = startTimeline(steps, Date.now(), injectors, Date.now, undefined, new Map(), { atSeconds: 0.02, held: new Promise<boolean>(() => undefined) });
      await new Promise((resolve) => setTimeout(resolve, 80));
      await timeline.stop();
      expect(calls).toEqual([]);
    });
  });
});
