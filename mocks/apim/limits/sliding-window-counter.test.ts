import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.ts';
import { SlidingWindowCounter } from './sliding-window-counter.ts';

describe('SlidingWindowCounter (exact, 1 ms buckets)', () => {
  it('sums what was added within the window and forgets it exactly windowMs later', () => {
    const clock = new ManualClock(0);
    const counter = new SlidingWindowCounter({ windowMs: 10_000 }, clock);
    counter.add('k', 2);
    clock.advance(4_000);
    counter.add('k', 3);
    expect(counter.total('k')).toBe(5);
    clock.advance(5_999); // t = 9.999 s
    expect(counter.total('k')).toBe(5);
    clock.advance(1); // t = 10 s: the t=0 amount leaves
    expect(counter.total('k')).toBe(3);
    clock.advance(4_000); // t = 14 s
    expect(counter.total('k')).toBe(0);
  });

  it('keeps keys apart', () => {
    const counter = new SlidingWindowCounter({ windowMs: 1_000 }, new ManualClock(0));
    counter.add('a', 1);
    counter.add('b', 7);
    expect(counter.total('a')).toBe(1);
    expect(counter.total('b')).toBe(7);
    expect(counter.total('c')).toBe(0);
  });

  it('says how long until the total is at most a target', () => {
    const clock = new ManualClock(0);
    const counter = new SlidingWindowCounter({ windowMs: 10_000 }, clock);
    counter.add('k', 1); // t=0
    clock.advance(2_000);
    counter.add('k', 1); // t=2
    clock.advance(2_000);
    counter.add('k', 1); // t=4
    clock.advance(1_000); // t=5
    expect(counter.msUntilTotalAtMost('k', 3)).toBe(0);
    expect(counter.msUntilTotalAtMost('k', 2)).toBe(5_000);
    expect(counter.msUntilTotalAtMost('k', 1)).toBe(7_000);
    expect(counter.msUntilTotalAtMost('k', 0)).toBe(9_000);
    expect(counter.msUntilTotalAtMost('k', -1)).toBe(Infinity);
    expect(counter.msUntilTotalAtMost('none', 0)).toBe(0);
  });

  it('groups into buckets that leave the window at bucket start + windowMs', () => {
    const clock = new ManualClock(0);
    const counter = new SlidingWindowCounter({ windowMs: 60_000, bucketMs: 1_000 }, clock);
    clock.set(900);
    counter.add('k', 10); // bucket [0, 1 s)
    clock.set(1_100);
    counter.add('k', 5); // bucket [1 s, 2 s)
    clock.set(1_900);
    counter.add('k', 5); // same bucket
    expect(counter.retainedEntries('k')).toBe(2);
    expect(counter.msUntilTotalAtMost('k', 10)).toBe(60_000 - 1_900);
    clock.set(59_999);
    expect(counter.total('k')).toBe(20);
    clock.set(60_000);
    expect(counter.total('k')).toBe(10);
    clock.set(61_000);
    expect(counter.total('k')).toBe(0);
  });

  it('bounds memory: at most windowMs / bucketMs buckets per key, and idle keys are dropped', () => {
    const clock = new ManualClock(0);
    const counter = new SlidingWindowCounter({ windowMs: 60_000, bucketMs: 1_000 }, clock);
    for (let i = 0; i < 10_000; i++) {
      counter.add('hot', 1);
      clock.advance(100);
    }
    expect(counter.retainedEntries('hot')).toBeLessThanOrEqual(60);
    for (let i = 0; i < 2_000; i++) counter.add(`one-off-${i}`, 1);
    expect(counter.trackedKeys()).toBe(2_001);
    clock.advance(60_000);
    counter.sweep();
    expect(counter.trackedKeys()).toBe(0);
  });

  it('sweeps automatically as amounts are added', () => {
    const clock = new ManualClock(0);
    const counter = new SlidingWindowCounter({ windowMs: 1_000 }, clock);
    for (let i = 0; i < 1_000; i++) counter.add(`k${i}`, 1);
    clock.advance(1_000);
    for (let i = 0; i < 100; i++) counter.add('live', 1);
    expect(counter.trackedKeys()).toBe(1);
  });

  it('rejects bad options and amounts', () => {
    const clock = new ManualClock(0);
    expect(() => new SlidingWindowCounter({ windowMs: 0 }, clock)).toThrow(RangeError);
    expect(() => new SlidingWindowCounter({ windowMs: 1_000, bucketMs: 2_000 }, clock)).toThrow(RangeError);
    const counter = new SlidingWindowCounter({ windowMs: 1_000 }, clock);
    expect(() => counter.add('k', -1)).toThrow(RangeError);
    expect(() => counter.add('k', Number.NaN)).toThrow(RangeError);
    counter.add('k', 0);
    expect(counter.trackedKeys()).toBe(0);
  });
});
