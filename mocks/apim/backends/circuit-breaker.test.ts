import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.ts';
import {
  CircuitBreaker,
  circuitBreakerRuleFromArm,
  parseRetryAfterMs,
  toEventGridEvent,
  validateCircuitBreakerRule,
} from './circuit-breaker.ts';
import type { CircuitBreakerEvent, CircuitBreakerOptions, CircuitBreakerRule } from './circuit-breaker.ts';

const START = Date.UTC(2026, 0, 1);

/** The seed rule: count 3 in PT10S, 429 and 5xx, trip PT30S, acceptRetryAfter. */
const seedRule: CircuitBreakerRule = circuitBreakerRuleFromArm([
  {
    name: 'openAIBreakerRule',
    tripDuration: 'PT30S',
    acceptRetryAfter: true,
    failureCondition: {
      count: 3,
      interval: 'PT10S',
      statusCodeRanges: [
        { min: 429, max: 429 },
        { min: 500, max: 599 },
      ],
      errorReasons: ['Server errors'],
    },
  },
]) as CircuitBreakerRule;

function setup(rule: CircuitBreakerRule = seedRule, options: Omit<CircuitBreakerOptions, 'onEvent'> = {}) {
  const clock = new ManualClock(START);
  const events: CircuitBreakerEvent[] = [];
  const breaker = new CircuitBreaker(rule, clock, { backendName: 'PTU1', ...options, onEvent: (e) => events.push(e) });
  return { clock, events, breaker };
}

describe('circuitBreakerRuleFromArm', () => {
  it('converts the seed rule', () => {
    expect(seedRule).toEqual({
      name: 'openAIBreakerRule',
      tripDurationMs: 30_000,
      acceptRetryAfter: true,
      failureCondition: {
        count: 3,
        interval: 10_000,
        statusCodeRanges: [
          { min: 429, max: 429 },
          { min: 500, max: 599 },
        ],
        errorReasons: ['Server errors'],
      },
    });
  });

  it('returns undefined without rules and rejects more than one rule', () => {
    expect(circuitBreakerRuleFromArm(undefined)).toBeUndefined();
    expect(circuitBreakerRuleFromArm([])).toBeUndefined();
    const rule = { name: 'r', tripDuration: 'PT1M', failureCondition: { count: 1, interval: 'PT1M' } };
    expect(() => circuitBreakerRuleFromArm([rule, { ...rule, name: 'r2' }])).toThrow(/only one circuit breaker rule, got 2 \(r, r2\)/);
  });

  it('defaults acceptRetryAfter to false and reports a bad duration by its text', () => {
    const rule = circuitBreakerRuleFromArm([{ name: 'r', tripDuration: 'PT1M', failureCondition: { count: 1, interval: 'PT1M' } }]);
    expect(rule?.acceptRetryAfter).toBe(false);
    expect(() => circuitBreakerRuleFromArm([{ name: 'r', tripDuration: '30s', failureCondition: { count: 1, interval: 'PT1M' } }])).toThrow(/"30s"/);
  });
});

describe('validateCircuitBreakerRule', () => {
  it('accepts the seed rule', () => {
    expect(validateCircuitBreakerRule(seedRule)).toEqual([]);
  });

  it('lists every problem', () => {
    const errors = validateCircuitBreakerRule({
      name: 'bad',
      tripDurationMs: 0,
      acceptRetryAfter: false,
      failureCondition: { interval: -1, statusCodeRanges: [{ min: 599, max: 500 }] },
    });
    expect(errors).toHaveLength(4);
    expect(errors.join('\n')).toMatch(/count or percentage/);
    expect(errors.join('\n')).toMatch(/interval/);
    expect(errors.join('\n')).toMatch(/599-500/);
    expect(errors.join('\n')).toMatch(/tripDuration/);
  });

  it('makes the constructor throw', () => {
    expect(() => new CircuitBreaker({ ...seedRule, failureCondition: { ...seedRule.failureCondition, count: 0 } }, new ManualClock())).toThrow(
      /count must be an integer of at least 1/,
    );
  });
});

describe('CircuitBreaker: count rule (seed configuration)', () => {
  it('trips on the third failure within the interval ("three or more") and stays open for tripDuration', () => {
    const { clock, breaker, events } = setup();
    breaker.recordResponse(500);
    clock.advance(1000);
    breaker.recordResponse(429);
    expect(breaker.isOpen()).toBe(false);
    clock.advance(1000);
    breaker.recordResponse(503);
    expect(breaker.isOpen()).toBe(true);
    expect(breaker.openUntil()).toBe(START + 2000 + 30_000);
    expect(events).toEqual([{ type: 'CircuitBreaker.Opened', backendName: 'PTU1', ruleName: 'openAIBreakerRule', at: START + 2000, tripDuration: '00:00:30' }]);
  });

  it('does not count statuses outside the ranges', () => {
    const { breaker } = setup();
    for (const status of [200, 201, 400, 401, 404, 428, 430, 499]) breaker.recordResponse(status);
    breaker.recordResponse(500);
    breaker.recordResponse(500);
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.windowCounts().failures).toBe(2);
  });

  it('does not reset the count on success (failures in the interval, not consecutive)', () => {
    const { breaker } = setup();
    breaker.recordResponse(500);
    breaker.recordResponse(200);
    breaker.recordResponse(500);
    breaker.recordResponse(200);
    breaker.recordResponse(500);
    expect(breaker.isOpen()).toBe(true);
  });

  it('forgets a failure exactly one interval later (window is (now - interval, now])', () => {
    const { clock, breaker } = setup();
    breaker.recordResponse(500); // t=0
    clock.advance(5000);
    breaker.recordResponse(500); // t=5s
    clock.advance(5000);
    breaker.recordResponse(500); // t=10s: the t=0 failure has left the window
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.windowCounts().failures).toBe(2);
  });

  it('still counts a failure one millisecond inside the interval', () => {
    const { clock, breaker } = setup();
    breaker.recordResponse(500); // t=0
    clock.advance(5000);
    breaker.recordResponse(500);
    clock.advance(4999);
    breaker.recordResponse(500); // t=9.999s
    expect(breaker.isOpen()).toBe(true);
  });

  it('counts connection failures', () => {
    const { breaker } = setup();
    breaker.recordConnectionFailure();
    breaker.recordConnectionFailure();
    expect(breaker.isOpen()).toBe(false);
    breaker.recordResponse(502);
    expect(breaker.isOpen()).toBe(true);
  });

  it('resets after the trip: closed at openUntil, Closed event at the trip end, failure window cleared', () => {
    const { clock, breaker, events } = setup();
    breaker.recordResponse(500);
    breaker.recordResponse(500);
    breaker.recordResponse(500);
    clock.advance(29_999);
    expect(breaker.isOpen()).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['CircuitBreaker.Opened']);
    clock.advance(5_000); // past the end; the Closed event is emitted lazily on this query
    expect(events).toHaveLength(1);
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.openUntil()).toBeUndefined();
    expect(events[1]).toEqual({ type: 'CircuitBreaker.Closed', backendName: 'PTU1', ruleName: 'openAIBreakerRule', at: START + 30_000, tripDuration: '00:00:30' });
    // Failures from before the trip do not carry over: two new ones do not trip.
    breaker.recordResponse(500);
    breaker.recordResponse(500);
    expect(breaker.isOpen()).toBe(false);
    breaker.recordResponse(500);
    expect(breaker.isOpen()).toBe(true);
    expect(events).toHaveLength(3);
  });

  it('clears the failure window on reset even when the trip was shorter than the interval', () => {
    const { clock, breaker } = setup();
    breaker.recordResponse(500);
    breaker.recordResponse(500);
    breaker.recordResponse(429, '2'); // a 2 s trip; the interval is 10 s
    clock.advance(2_000);
    expect(breaker.isOpen()).toBe(false);
    breaker.recordResponse(500); // would be the 4th failure within 10 s without the reset
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.windowCounts().failures).toBe(1);
  });

  it('emits Closed from poll() without traffic, exactly once', () => {
    const { clock, breaker, events } = setup();
    for (let i = 0; i < 3; i++) breaker.recordResponse(500);
    clock.advance(30_000);
    breaker.poll();
    breaker.poll();
    expect(breaker.isOpen()).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['CircuitBreaker.Opened', 'CircuitBreaker.Closed']);
  });

  it('ignores responses that arrive while open (in-flight requests)', () => {
    const { clock, breaker, events } = setup();
    for (let i = 0; i < 3; i++) breaker.recordResponse(500);
    clock.advance(10_000);
    breaker.recordResponse(429, '3600');
    breaker.recordResponse(500);
    breaker.recordResponse(500);
    expect(breaker.openUntil()).toBe(START + 30_000);
    clock.advance(20_000);
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.windowCounts().failures).toBe(0);
    expect(events).toHaveLength(2);
  });

  it('keeps at most `count` failures in memory', () => {
    const { clock, breaker } = setup({ ...seedRule, failureCondition: { ...seedRule.failureCondition, count: 1000 } });
    for (let i = 0; i < 20_000; i++) {
      breaker.recordResponse(500);
      clock.advance(100);
    }
    // 20k failures at 10/s: 100 in any 10 s window, never 1000, and only those are kept.
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.retainedEntries()).toBe(100);
  });
});

describe('CircuitBreaker: Retry-After', () => {
  it('a Retry-After on the tripping response replaces tripDuration (default mode), even when shorter', () => {
    const { breaker, events } = setup();
    breaker.recordResponse(429);
    breaker.recordResponse(429);
    breaker.recordResponse(429, '10');
    expect(breaker.openUntil()).toBe(START + 10_000);
    expect(events[0]?.tripDuration).toBe('00:00:10');
  });

  it("'max' mode keeps tripDuration when Retry-After is shorter and uses Retry-After when longer", () => {
    const shorter = setup(seedRule, { retryAfterMode: 'max' });
    for (let i = 0; i < 2; i++) shorter.breaker.recordResponse(429);
    shorter.breaker.recordResponse(429, '10');
    expect(shorter.breaker.openUntil()).toBe(START + 30_000);
    const longer = setup(seedRule, { retryAfterMode: 'max' });
    for (let i = 0; i < 2; i++) longer.breaker.recordResponse(429);
    longer.breaker.recordResponse(429, '45');
    expect(longer.breaker.openUntil()).toBe(START + 45_000);
  });

  it('honours a one-day Retry-After (the documented Azure OpenAI caution)', () => {
    const { breaker, events } = setup();
    for (let i = 0; i < 2; i++) breaker.recordResponse(500);
    breaker.recordResponse(429, '86400');
    expect(breaker.openUntil()).toBe(START + 86_400_000);
    expect(events[0]?.tripDuration).toBe('1.00:00:00');
  });

  it('accepts an HTTP-date', () => {
    const { breaker } = setup();
    for (let i = 0; i < 2; i++) breaker.recordResponse(500);
    breaker.recordResponse(503, new Date(START + 12_000).toUTCString());
    expect(breaker.openUntil()).toBe(START + 12_000);
  });

  it('only the tripping response sets the trip length', () => {
    const { breaker } = setup();
    breaker.recordResponse(429, '5');
    breaker.recordResponse(429, '5');
    breaker.recordResponse(500);
    expect(breaker.openUntil()).toBe(START + 30_000);
  });

  it('ignores Retry-After when acceptRetryAfter is false, and ignores unusable values', () => {
    const off = setup({ ...seedRule, acceptRetryAfter: false });
    for (let i = 0; i < 2; i++) off.breaker.recordResponse(429);
    off.breaker.recordResponse(429, '10');
    expect(off.breaker.openUntil()).toBe(START + 30_000);
    for (const value of ['0', '1.5', 'soon', '']) {
      const on = setup();
      for (let i = 0; i < 2; i++) on.breaker.recordResponse(429);
      on.breaker.recordResponse(429, value);
      expect(on.breaker.openUntil(), value).toBe(START + 30_000);
    }
  });
});

describe('parseRetryAfterMs', () => {
  it('reads seconds and HTTP-dates', () => {
    expect(parseRetryAfterMs('120', 0)).toBe(120_000);
    expect(parseRetryAfterMs(' 7 ', 0)).toBe(7_000);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:01:00 GMT', START)).toBe(60_000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', START)).toBe(0);
    expect(parseRetryAfterMs(undefined, 0)).toBeUndefined();
    expect(parseRetryAfterMs('-5', 0)).toBeUndefined();
    expect(parseRetryAfterMs('2.5', 0)).toBeUndefined();
  });
});

describe('CircuitBreaker: percentage rule', () => {
  const percentRule: CircuitBreakerRule = {
    name: 'pct',
    tripDurationMs: 60_000,
    acceptRetryAfter: false,
    failureCondition: { percentage: 50, interval: 10_000, statusCodeRanges: [{ min: 500, max: 599 }] },
  };

  it('does not trip below the minimum request volume (default 10), even at 100%', () => {
    const { breaker } = setup(percentRule);
    for (let i = 0; i < 9; i++) breaker.recordResponse(500);
    expect(breaker.isOpen()).toBe(false);
    breaker.recordResponse(500);
    expect(breaker.isOpen()).toBe(true);
  });

  it('trips once failures reach the percentage of at least the minimum volume', () => {
    const { breaker } = setup(percentRule);
    for (let i = 0; i < 6; i++) breaker.recordResponse(200);
    for (let i = 0; i < 5; i++) breaker.recordResponse(500);
    expect(breaker.windowCounts()).toEqual({ failures: 5, requests: 11 });
    expect(breaker.isOpen()).toBe(false); // 5/11 < 50%
    breaker.recordResponse(500); // 6/12 = 50%
    expect(breaker.isOpen()).toBe(true);
  });

  it('honours a custom minimum volume and forgets requests older than the interval', () => {
    const { clock, breaker } = setup(percentRule, { minimumRequestVolume: 4 });
    for (let i = 0; i < 10; i++) breaker.recordResponse(200);
    clock.advance(10_000);
    breaker.recordResponse(500);
    breaker.recordResponse(200);
    breaker.recordResponse(200);
    expect(breaker.isOpen()).toBe(false); // 3 requests: under the minimum
    breaker.recordResponse(500); // 2/4 = 50%
    expect(breaker.isOpen()).toBe(true);
  });

  it('keeps memory bounded by slices of the interval', () => {
    const { clock, breaker } = setup(percentRule);
    for (let i = 0; i < 50_000; i++) {
      breaker.recordResponse(200);
      clock.advance(3);
    }
    expect(breaker.retainedEntries()).toBeLessThanOrEqual(1001);
  });
});

describe('toEventGridEvent', () => {
  it('shapes an Opened event like APIM', () => {
    const event = toEventGridEvent(
      { type: 'CircuitBreaker.Opened', backendName: 'PTU1', ruleName: 'openAIBreakerRule', at: START + 1500, tripDuration: '00:00:30' },
      { topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim' },
    );
    expect(event).toEqual({
      id: 'Microsoft.ApiManagement.CircuitBreaker.Opened:PTU1:openAIBreakerRule:' + (START + 1500),
      topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim',
      subject: '/backends/PTU1/circuit-breaker/rules/openAIBreakerRule',
      eventType: 'Microsoft.ApiManagement.CircuitBreaker.Opened',
      eventTime: '2026-01-01T00:00:01.500Z',
      data: { backendName: 'PTU1', circuitBreaker: { rules: { openAIBreakerRule: { tripDuration: '00:00:30' } } } },
      dataVersion: '1',
      metadataVersion: '1',
    });
  });

  it('uses a given id and the Closed type', () => {
    const event = toEventGridEvent({ type: 'CircuitBreaker.Closed', backendName: 'b', ruleName: 'r', at: 0, tripDuration: '00:00:01' }, { id: 'x' });
    expect(event.id).toBe('x');
    expect(event.eventType).toBe('Microsoft.ApiManagement.CircuitBreaker.Closed');
    expect('topic' in event).toBe(false);
  });
});
