/**
 * rate-limit-by-key and quota-by-key through the gateway. The gateway runs on a ManualClock,
 * so windows and Retry-After values are exact: T0 is 00:10:00 UTC, which is also the start of
 * a 5-minute quota window (quota windows count from 0001-01-01T00:00:00Z).
 */
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../aoai/ledger.ts';
import { ManualClock } from '../../shared/clock.ts';
import { loadGatewayConfig } from '../config/index.ts';
import type { GatewayConfig } from '../config/types.ts';
import { useDefaultFleet } from './default-fleet-fixture.ts';
import { startGateway, type RunningGateway } from './gateway.ts';
import { policy, TEST_KEYS, writeTestConfig, type TestConfigOptions } from './test-config.ts';

const T0 = Date.UTC(2030, 0, 1, 0, 10, 0);
const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';

const shared = useDefaultFleet(12);


async function start(options: TestConfigOptions, clock: ManualClock): Promise<string> {
  const { config } = writeTestConfig({ serviceUrl: 'https://aoai-eastus-payg.openai.azure.com/openai', ...options });
  const gateway = await startWith(config, clock);
  return gateway.instances[0]!.url;
}

async function startWith(config: GatewayConfig, clock: ManualClock): Promise<RunningGateway> {
  const gateway = await startGateway({ config, fleetEndpoints: shared.endpoints, logsDir: null, clock });
  shared.gateways.push(gateway);
  return gateway;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function call(base: string, key: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const response = await fetch(`${base}${CHAT}`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json', 'x-fleet-completion-tokens': '3', ...options.headers },
    body: options.body ?? JSON.stringify({ messages: [{ role: 'user', content: 'limits' }] }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function rateLimitedBody(seconds: number): string {
  return JSON.stringify({ statusCode: 429, message: `Rate limit is exceeded. Try again in ${seconds} seconds.` });
}

/** Answers 200 (or the x-answer header's status) from the gateway itself. */
const answerHere = `<return-response>
  <set-status code="@(int.Parse(context.Request.Headers.GetValueOrDefault(&quot;x-answer&quot;, &quot;200&quot;)))" reason="Answered" />
  <set-body>answered</set-body>
</return-response>`;

describe('rate-limit-by-key', () => {
  it('allows calls per renewal period per key, then 429 with Retry-After and the remaining/total call headers', async () => {
    const clock = new ManualClock(T0);
    const base = await start(
      {
        apiPolicy: policy({
          inbound: `<base />
            <rate-limit-by-key calls="3" renewal-period="60" counter-key="@(context.Subscription.Id)" remaining-calls-header-name="x-remaining-calls" remaining-calls-variable-name="left" total-calls-header-name="x-total-calls" />
            <return-response>
              <set-header name="x-left-variable" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;int&gt;("left", -1).ToString())</value></set-header>
            </return-response>`,
        }),
      },
      clock,
    );
    const seen: [number, string | null, string | null, string | null][] = [];
    for (const step of [0, 10_000, 10_000]) {
      clock.advance(step);
      const answer = await call(base, TEST_KEYS.s1);
      seen.push([answer.status, answer.headers.get('x-remaining-calls'), answer.headers.get('x-total-calls'), answer.headers.get('x-left-variable')]);
    }
    expect(seen).toEqual([
      [200, '2', '3', '2'],
      [200, '1', '3', '1'],
      [200, '0', '3', '0'],
    ]);

    clock.advance(5_000);
    const limited = await call(base, TEST_KEYS.s1);
    expect(limited.status).toBe(429);
    // The first call (at T0) leaves the 60 s window at T0 + 60 s; it is now T0 + 25 s.
    expect(limited.headers.get('retry-after')).toBe('35');
    expect(limited.headers.get('x-remaining-calls')).toBe('0');
    expect(limited.headers.get('x-total-calls')).toBe('3');
    expect(limited.text).toBe(rateLimitedBody(35));

    // Another subscription has its own counter.
    const other = await call(base, TEST_KEYS.all);
    expect([other.status, other.headers.get('x-remaining-calls')]).toEqual([200, '2']);

    // A refused call is not counted: once the first call leaves the window there is room for one.
    clock.advance(35_000);
    const again = await call(base, TEST_KEYS.s1);
    expect([again.status, again.headers.get('x-remaining-calls')]).toEqual([200, '0']);
    clock.advance(1_000);
    const refused = await call(base, TEST_KEYS.s1);
    expect(refused.status).toBe(429);
    // Now T0 + 61 s: the call at T0 + 10 s leaves at T0 + 70 s.
    expect(refused.headers.get('retry-after')).toBe('9');
  });

  it('uses retry-after-header-name and counts increment-count calls per request', async () => {
    const clock = new ManualClock(T0);
    const base = await start(
      {
        apiPolicy: policy({
          inbound: `<base />
            <rate-limit-by-key calls="5" renewal-period="30" counter-key="fixed" increment-count="2" retry-after-header-name="x-wait" remaining-calls-header-name="x-remaining-calls" />
            ${answerHere}`,
        }),
      },
      clock,
    );
    const first = await call(base, TEST_KEYS.s1);
    const second = await call(base, TEST_KEYS.all);
    expect([first.status, first.headers.get('x-remaining-calls'), second.status, second.headers.get('x-remaining-calls')]).toEqual([200, '3', 200, '1']);
    clock.advance(4_000);
    const third = await call(base, TEST_KEYS.s1);
    expect(third.status).toBe(429);
    expect(third.headers.get('x-wait')).toBe('26');
    expect(third.text).toBe(rateLimitedBody(26));
  });

  it('with an expression increment-condition counts at the end of outbound, so the 429 arrives one call late', async () => {
    const clock = new ManualClock(T0);
    const base = await start(
      {
        apiPolicy: policy({
          inbound: `<base />
            <rate-limit-by-key calls="2" renewal-period="60" counter-key="@(context.Subscription.Id)" increment-condition="@(context.Response.StatusCode == 200)" />
            ${answerHere}`,
        }),
      },
      clock,
    );
    const statuses: number[] = [];
    for (const answer of ['200', '500', '200', '200', '200']) {
      statuses.push((await call(base, TEST_KEYS.s1, { headers: { 'x-answer': answer } })).status);
    }
    // The 500 is not counted; two counted calls fill the limit, yet the third 200 still passes
    // (its count lands after it was admitted), and only the call after it is refused.
    expect(statuses).toEqual([200, 500, 200, 200, 429]);
  });

  it('an expression increment-condition sees the default error answer of a failed request', async () => {
    const clock = new ManualClock(T0);
    const { config } = writeTestConfig({
      serviceUrl: 'https://aoai-eastus-payg.openai.azure.com/openai',
      apiPolicy: policy({
        inbound: `<base />
          <rate-limit-by-key calls="1" renewal-period="60" counter-key="failures" increment-condition="@(context.Response.StatusCode &gt;= 500)" />
          <set-variable name="n" value="@(int.Parse(context.Request.Headers.GetValueOrDefault(&quot;x-number&quot;, &quot;none&quot;)))" />
          ${answerHere}`,
        // on-error reads the context but does not answer: the default 500 follows.
        onError: '<base /><set-variable name="why" value="@(context.LastError.Reason)" />',
      }),
    });
    const gateway = await startWith(config, clock);
    const base = gateway.instances[0]!.url;
    const statuses: number[] = [];
    // Two failures are counted (the second is admitted one call late), then the limit holds,
    // even for a request that would succeed.
    const requests: Record<string, string>[] = [{}, {}, { 'x-number': '1' }];
    for (const headers of requests) statuses.push((await call(base, TEST_KEYS.s1, { headers })).status);
    expect(statuses).toEqual([500, 500, 429]);
    expect(gateway.logs.recent.gateway.map((r) => r.ResponseCode)).toEqual([500, 500, 429]);
  });

  it('with a literal increment-condition counts at once (no lag)', async () => {
    const clock = new ManualClock(T0);
    const base = await start(
      {
        apiPolicy: policy({
          inbound: `<base />
            <rate-limit-by-key calls="2" renewal-period="60" counter-key="@(context.Subscription.Id)" increment-condition="true" />
            ${answerHere}`,
        }),
      },
      clock,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(base, TEST_KEYS.s1)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe('quota-by-key', () => {
  it('refuses calls over the quota with 403, the replenish time and Retry-After to the end of the fixed window', async () => {
    const clock = new ManualClock(T0);
    const base = await start(
      {
        apiPolicy: policy({ inbound: `<base /><quota-by-key calls="3" renewal-period="3600" counter-key="@(context.Subscription.Id)" />${answerHere}` }),
      },
      clock,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call(base, TEST_KEYS.s1)).status);
      clock.advance(100_000);
    }
    expect(statuses).toEqual([200, 200, 200]);
    // Now 00:15:00; the hourly window (aligned to 0001-01-01) ends at 01:00:00.
    const refused = await call(base, TEST_KEYS.s1);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('retry-after')).toBe('2700');
    expect(refused.text).toBe(JSON.stringify({ statusCode: 403, message: 'Out of call volume quota. Quota will be replenished in 00:45:00.' }));
    expect((await call(base, TEST_KEYS.all)).status).toBe(200);

    // Refused calls are not counted, and the next window starts afresh.
    clock.set(Date.UTC(2030, 0, 1, 1, 0, 0));
    const renewed: number[] = [];
    for (let i = 0; i < 4; i++) renewed.push((await call(base, TEST_KEYS.s1)).status);
    expect(renewed).toEqual([200, 200, 200, 403]);
  });

  it('counts bandwidth (request + response bytes): the call that crosses completes, the next is refused', async () => {
    const clock = new ManualClock(T0);
    const responseBody = 'r'.repeat(600);
    const requestBody = JSON.stringify({ messages: [{ role: 'user', content: 'b'.repeat(100) }] });
    const base = await start(
      {
        apiPolicy: policy({
          inbound: `<base /><quota-by-key bandwidth="1" renewal-period="300" counter-key="@(context.Subscription.Id)" />
            <return-response><set-status code="200" reason="OK" /><set-body>${responseBody}</set-body></return-response>`,
        }),
      },
      clock,
    );
    const perCall = Buffer.byteLength(requestBody) + responseBody.length;
    expect(perCall).toBeLessThan(1024);
    expect(2 * perCall).toBeGreaterThanOrEqual(1024);
    const first = await call(base, TEST_KEYS.s1, { body: requestBody });
    expect([first.status, first.text]).toEqual([200, responseBody]);
    expect((await call(base, TEST_KEYS.s1, { body: requestBody })).status).toBe(200);
    clock.advance(100_000);
    const refused = await call(base, TEST_KEYS.s1, { body: requestBody });
    expect(refused.status).toBe(403);
    // 00:11:40; the 5-minute window started at 00:10:00 ends at 00:15:00.
    expect(refused.headers.get('retry-after')).toBe('200');
    expect((JSON.parse(refused.text) as { statusCode: number }).statusCode).toBe(403);
    expect((await call(base, TEST_KEYS.all, { body: requestBody })).status).toBe(200);
    clock.advance(200_000);
    expect((await call(base, TEST_KEYS.s1, { body: requestBody })).status).toBe(200);
  });
});

describe('the sample (deploy/apim) low-priority rate limit', () => {
  it('allows the batch subscription 10 calls per 60 s, per subscription, and only for low priority', async () => {
    const config = loadGatewayConfig('deploy/apim');
    delete config.frontDoor;
    const clock = new ManualClock(T0);
    const gateway = await startWith(config, clock);
    const base = gateway.instance('East US').url;
    const before = shared.fleet.ledger.lastSeq;

    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      clock.advance(2_000);
      statuses.push((await call(base, 'local-batch-key')).status);
    }
    expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
    clock.advance(2_000);
    const limited = await call(base, 'local-batch-key-2');
    expect(limited.status).toBe(429);
    // Calls at T0 + 2 s … T0 + 20 s; now T0 + 22 s; the first leaves at T0 + 62 s.
    expect(limited.headers.get('retry-after')).toBe('40');
    expect(limited.text).toBe(rateLimitedBody(40));

    const records = shared.fleet.ledger.read(before, 1000).records.filter((r): r is RequestRecord => r.type === 'request');
    expect(records).toHaveLength(10);
    expect(records.every((r) => r.priority === 'low' && r.subscription === 'batch' && r.backend === 'aoai-eastus-payg' && r.status === 200)).toBe(true);

    // dev-test is low priority too, with its own counter.
    expect((await call(base, 'local-dev-test-key')).status).toBe(200);
    // An explicit high priority is routed to the PTU pool, without the low-priority limit.
    const high = await call(base, 'local-batch-key', { headers: { 'X-Priority': 'high' } });
    expect(high.status).toBe(200);
    const last = shared.fleet.ledger.read(before, 1000).records.filter((r): r is RequestRecord => r.type === 'request').at(-1)!;
    expect(last.priority).toBe('high');
    expect(last.backend).toMatch(/^aoai-eastus-ptu[12]$/);
  });
});
