/**
 * llm-token-limit and azure-openai-token-limit through the gateway to the mock fleet.
 *
 * Expected numbers are derived here, not read from the gateway: prompt tokens are counted
 * with gpt-tokenizer's o200k encoder and the OpenAI cookbook's chat formula (3 tokens per
 * message + role + content, 3 for the reply priming), completion lengths are forced with the
 * fleet's x-fleet-completion-tokens header, and the gateway runs on a ManualClock so windows,
 * Retry-After values and quota periods are exact.
 */
import { describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { RequestRecord } from '../../aoai/ledger.ts';
import { ManualClock } from '../../shared/clock.ts';
import { loadGatewayConfig } from '../config/index.ts';
import type { GatewayConfig } from '../config/types.ts';
import { useDefaultFleet } from './default-fleet-fixture.ts';
import { startGateway, type RunningGateway } from './gateway.ts';
import { policy, TEST_KEYS, writeTestConfig, type TestConfigOptions } from './test-config.ts';

const T0 = Date.UTC(2030, 0, 1, 0, 10, 0);
const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';

const shared = useDefaultFleet(11);


// ---- helpers ---------------------------------------------------------------------------------

/** The cookbook's count for gpt-4o chat messages (no names, no tools). */
function promptTokens(messages: { role: string; content: string }[]): number {
  return messages.reduce((sum, m) => sum + 3 + countTokens(m.role) + countTokens(m.content), 0) + 3;
}

function userMessage(content: string): { role: string; content: string }[] {
  return [{ role: 'user', content }];
}

async function start(options: TestConfigOptions, clock: ManualClock | null = new ManualClock(T0)): Promise<RunningGateway> {
  const { config } = writeTestConfig({ serviceUrl: 'https://aoai-eastus-payg.openai.azure.com/openai', ...options });
  return startWith(config, clock);
}

async function startWith(config: GatewayConfig, clock: ManualClock | null): Promise<RunningGateway> {
  const gateway = await startGateway({ config, fleetEndpoints: shared.endpoints, logsDir: null, ...(clock ? { clock } : {}) });
  shared.gateways.push(gateway);
  return gateway;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function chat(
  base: string,
  args: { key: string; content: string; completion?: number; stream?: boolean; includeUsage?: boolean; headers?: Record<string, string> },
): Promise<Answer> {
  const body: Record<string, unknown> = { messages: userMessage(args.content) };
  if (args.stream) body.stream = true;
  if (args.includeUsage) body.stream_options = { include_usage: true };
  const response = await fetch(`${base}${CHAT}`, {
    method: 'POST',
    headers: {
      'api-key': args.key,
      'content-type': 'application/json',
      ...(args.completion !== undefined ? { 'x-fleet-completion-tokens': String(args.completion) } : {}),
      ...args.headers,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The text a stream delivered, joined from its content deltas. */
function streamedText(sse: string): string {
  let text = '';
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') continue;
    const frame = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
    for (const choice of frame.choices ?? []) text += choice.delta?.content ?? '';
  }
  return text;
}

function ledgerRecords(after: number): RequestRecord[] {
  return shared.fleet.ledger.read(after, 10_000).records.filter((r): r is RequestRecord => r.type === 'request');
}

function tokenLimit(attributes: string, element = 'llm-token-limit'): string {
  return policy({ inbound: `<base /><${element} counter-key="@(context.Subscription.Id)" ${attributes} />` });
}

function limitBody(seconds: number): string {
  return JSON.stringify({ statusCode: 429, message: `Token limit is exceeded. Try again in ${seconds} seconds.` });
}

// ---- tests -----------------------------------------------------------------------------------

describe('tokens-per-minute', () => {
  it('counts the estimated prompt at admission plus the completion from usage, and answers 429 with Retry-After once used up', async () => {
    const clock = new ManualClock(T0);
    const gateway = await start({ apiPolicy: tokenLimit('tokens-per-minute="300" estimate-prompt-tokens="true" remaining-tokens-header-name="x-remaining"') }, clock);
    const base = gateway.instances[0]!.url;
    const content = 'How many tokens does this sentence take?';
    const p = promptTokens(userMessage(content));
    const c = 100;
    const before = shared.fleet.ledger.lastSeq;

    const first = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-remaining')).toBe(String(300 - p));

    clock.advance(15_000);
    const second = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(second.status).toBe(200);
    expect(second.headers.get('x-remaining')).toBe(String(300 - (p + c) - p));

    clock.advance(10_000);
    const third = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(third.status).toBe(200);
    expect(third.headers.get('x-remaining')).toBe(String(300 - 2 * (p + c) - p));

    // 3·(p + c) > 300 is now in the window. The first request's tokens leave it at T0 + 60 s,
    // which is what frees room: 30 s from T0 + 30 s.
    expect(3 * (p + c)).toBeGreaterThan(300);
    expect(2 * (p + c) + p).toBeLessThanOrEqual(300);
    clock.advance(5_000);
    const limited = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(limited.headers.get('x-remaining')).toBe('0');
    expect(limited.headers.get('content-type')).toBe('application/json');
    expect(limited.text).toBe(limitBody(30));

    // The backend saw exactly the three admitted requests, with the prompt counted as estimated.
    const records = ledgerRecords(before);
    expect(records.map((r) => [r.status, r.promptTokens, r.completionTokens])).toEqual([
      [200, p, c],
      [200, p, c],
      [200, p, c],
    ]);

    clock.advance(30_000);
    const after = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(after.status).toBe(200);
    expect(after.headers.get('x-remaining')).toBe(String(300 - 2 * (p + c) - p));
  });

  it('uses retry-after-header-name for the wait (azure-openai-token-limit)', async () => {
    const clock = new ManualClock(T0);
    const gateway = await start(
      { apiPolicy: tokenLimit('tokens-per-minute="150" estimate-prompt-tokens="true" retry-after-header-name="x-retry-in"', 'azure-openai-token-limit') },
      clock,
    );
    const base = gateway.instances[0]!.url;
    expect((await chat(base, { key: TEST_KEYS.s1, content: 'first', completion: 200 })).status).toBe(200);
    clock.advance(12_000);
    const limited = await chat(base, { key: TEST_KEYS.s1, content: 'second', completion: 5 });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-retry-in')).toBe('48');
    expect(limited.text).toBe(limitBody(48));
  });

  it('keeps one counter per key: two subscriptions with counter-key @(context.Subscription.Id) do not share', async () => {
    const gateway = await start({ apiPolicy: tokenLimit('tokens-per-minute="200" estimate-prompt-tokens="true" remaining-tokens-header-name="x-remaining"') });
    const base = gateway.instances[0]!.url;
    const content = 'share nothing';
    const p = promptTokens(userMessage(content));
    expect((await chat(base, { key: TEST_KEYS.s1, content, completion: 250 })).status).toBe(200);
    const limited = await chat(base, { key: TEST_KEYS.s1, content, completion: 1 });
    expect(limited.status).toBe(429);
    expect(limited.text).toBe(limitBody(60));

    // s1's secondary key is the same subscription, so the same counter.
    expect((await chat(base, { key: TEST_KEYS.s1Secondary, content, completion: 1 })).status).toBe(429);

    const other = await chat(base, { key: TEST_KEYS.all, content, completion: 1 });
    expect(other.status).toBe(200);
    expect(other.headers.get('x-remaining')).toBe(String(200 - p));
  });

  it('counts per gateway instance: East US and West US each have their own counters', async () => {
    const gateway = await start({
      regions: ['East US', 'West US'],
      apiPolicy: tokenLimit('tokens-per-minute="200" estimate-prompt-tokens="true" remaining-tokens-header-name="x-remaining"'),
    });
    const east = gateway.instance('East US').url;
    const west = gateway.instance('West US').url;
    const content = 'per region';
    const p = promptTokens(userMessage(content));
    expect((await chat(east, { key: TEST_KEYS.s1, content, completion: 250 })).status).toBe(200);
    expect((await chat(east, { key: TEST_KEYS.s1, content, completion: 1 })).status).toBe(429);

    const westAnswer = await chat(west, { key: TEST_KEYS.s1, content, completion: 10 });
    expect(westAnswer.status).toBe(200);
    expect(westAnswer.headers.get('x-remaining')).toBe(String(200 - p));
    const westAgain = await chat(west, { key: TEST_KEYS.s1, content, completion: 10 });
    expect(westAgain.headers.get('x-remaining')).toBe(String(200 - (p + 10) - p));
  });
});

describe('estimate-prompt-tokens', () => {
  // 120 one-token words: a prompt well over a 100-token limit.
  const longContent = Array.from({ length: 120 }, () => 'the').join(' ');

  it('false: a prompt over the limit passes once (counted from usage), then requests are blocked; true: it is refused up front', async () => {
    const choose = `<base />
      <choose>
        <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-mode&quot;, &quot;&quot;) == &quot;estimate&quot;)">
          <llm-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="100" estimate-prompt-tokens="true" />
        </when>
        <otherwise>
          <llm-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="100" estimate-prompt-tokens="false" remaining-tokens-header-name="x-remaining" />
        </otherwise>
      </choose>`;
    const gateway = await start({ apiPolicy: policy({ inbound: choose }) });
    const base = gateway.instances[0]!.url;
    const p = promptTokens(userMessage(longContent));
    expect(p).toBeGreaterThan(100);

    const before = shared.fleet.ledger.lastSeq;
    const estimated = await chat(base, { key: TEST_KEYS.s1, content: longContent, completion: 5, headers: { 'x-mode': 'estimate' } });
    expect(estimated.status).toBe(429);
    // A prompt bigger than the whole limit can never fit: the full window.
    expect(estimated.headers.get('retry-after')).toBe('60');
    expect(ledgerRecords(before)).toEqual([]);

    const once = await chat(base, { key: TEST_KEYS.s1, content: longContent, completion: 5 });
    expect(once.status).toBe(200);
    // Nothing is charged at admission without estimation.
    expect(once.headers.get('x-remaining')).toBe('100');
    const blocked = await chat(base, { key: TEST_KEYS.s1, content: 'tiny', completion: 1 });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('60');
    expect(blocked.text).toBe(limitBody(60));
    expect(ledgerRecords(before).map((r) => [r.status, r.promptTokens, r.completionTokens])).toEqual([[200, p, 5]]);
  });

  it('a streaming request always has its prompt estimated, even with estimate-prompt-tokens="false"', async () => {
    const gateway = await start({ apiPolicy: tokenLimit('tokens-per-minute="100" estimate-prompt-tokens="false"') });
    const base = gateway.instances[0]!.url;
    const before = shared.fleet.ledger.lastSeq;
    const streamed = await chat(base, { key: TEST_KEYS.s1, content: longContent, completion: 5, stream: true });
    expect(streamed.status).toBe(429);
    expect(streamed.headers.get('retry-after')).toBe('60');
    expect(ledgerRecords(before)).toEqual([]);
    // The same prompt without streaming passes once (estimate-prompt-tokens="false").
    expect((await chat(base, { key: TEST_KEYS.s1, content: longContent, completion: 5 })).status).toBe(200);
  });
});

describe('streaming', () => {
  it('estimates the prompt and counts the completion from the streamed text; logs IsStreamCompletion', async () => {
    const gateway = await start({ apiPolicy: tokenLimit('tokens-per-minute="1000" estimate-prompt-tokens="true" remaining-tokens-header-name="x-remaining"') });
    const base = gateway.instances[0]!.url;
    const content = 'Stream a short answer, please.';
    const p = promptTokens(userMessage(content));
    const c = 40;

    const streamed = await chat(base, { key: TEST_KEYS.s1, content, completion: c, stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(streamed.headers.get('x-remaining')).toBe(String(1000 - p));
    const text = streamedText(streamed.text);
    expect(countTokens(text)).toBe(c);

    const row = gateway.logs.recent.llm.at(-1)!;
    expect(row).toMatchObject({ IsStreamCompletion: true, PromptTokens: p, CompletionTokens: c, TotalTokens: p + c, DeploymentName: 'gpt-4o', Region: 'East US' });

    // The next admission sees prompt + streamed completion charged.
    const next = await chat(base, { key: TEST_KEYS.s1, content, completion: 1 });
    expect(next.headers.get('x-remaining')).toBe(String(1000 - (p + c) - p));
  });

  it('takes the counts from the usage frame with include_usage', async () => {
    const gateway = await start({ apiPolicy: tokenLimit('tokens-per-minute="1000" estimate-prompt-tokens="true" remaining-tokens-header-name="x-remaining"') });
    const base = gateway.instances[0]!.url;
    const content = 'Stream with usage.';
    const p = promptTokens(userMessage(content));
    const before = shared.fleet.ledger.lastSeq;
    const streamed = await chat(base, { key: TEST_KEYS.s1, content, completion: 33, stream: true, includeUsage: true });
    expect(streamed.status).toBe(200);
    const usageFrame = streamed.text
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)) as { usage?: { prompt_tokens: number; completion_tokens: number } | null })
      .find((frame) => frame.usage);
    expect(usageFrame?.usage).toMatchObject({ prompt_tokens: p, completion_tokens: 33 });

    const [record] = ledgerRecords(before);
    expect(record).toMatchObject({ stream: true, promptTokens: p, completionTokens: 33 });
    const row = gateway.logs.recent.llm.at(-1)!;
    expect(row).toMatchObject({ IsStreamCompletion: true, PromptTokens: p, CompletionTokens: 33, TotalTokens: p + 33 });
    expect(typeof row.ModelName).toBe('string');
    expect(row.ModelName).toMatch(/^gpt-4o/);

    const next = await chat(base, { key: TEST_KEYS.s1, content, completion: 1 });
    expect(next.headers.get('x-remaining')).toBe(String(1000 - (p + 33) - p));
  });
});

describe('token quota', () => {
  it('answers 403 with Retry-After to the end of the quota period once the quota is used', async () => {
    const clock = new ManualClock(T0);
    const gateway = await start(
      {
        apiPolicy: policy({
          inbound: '<base /><llm-token-limit counter-key="@(context.Subscription.Id)" token-quota="250" token-quota-period="Hourly" estimate-prompt-tokens="true" remaining-quota-tokens-header-name="x-quota-left" />',
        }),
      },
      clock,
    );
    const base = gateway.instances[0]!.url;
    const content = 'quota please';
    const p = promptTokens(userMessage(content));
    const c = 100;
    const first = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(first.headers.get('x-quota-left')).toBe(String(250 - p));
    // Minutes pass: a quota is not a per-minute rate.
    clock.advance(120_000);
    const second = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(second.headers.get('x-quota-left')).toBe(String(250 - (p + c) - p));
    clock.advance(120_000);
    const third = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(third.status).toBe(200);
    expect(third.headers.get('x-quota-left')).toBe(String(250 - 2 * (p + c) - p));
    expect(3 * (p + c)).toBeGreaterThan(250);

    // T0 is 00:10 UTC; now 00:15. The hourly window ends at 01:00: 45 minutes.
    clock.advance(60_000);
    const refused = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('retry-after')).toBe(String(45 * 60));
    expect(JSON.parse(refused.text)).toEqual({ statusCode: 403, message: 'Token quota is exceeded. Try again in 00:45:00.' });

    // The next hour starts a new window.
    clock.set(Date.UTC(2030, 0, 1, 1, 0, 0));
    const renewed = await chat(base, { key: TEST_KEYS.s1, content, completion: c });
    expect(renewed.status).toBe(200);
    expect(renewed.headers.get('x-quota-left')).toBe(String(250 - p));
  });
});

describe('tokens consumed', () => {
  it('reports prompt + completion in tokens-consumed-header-name and, in outbound, in tokens-consumed-variable-name', async () => {
    const gateway = await start({
      apiPolicy: policy({
        inbound:
          '<base /><llm-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="5000" estimate-prompt-tokens="true" tokens-consumed-header-name="x-consumed" tokens-consumed-variable-name="consumed" />' +
          '<set-variable name="consumedAtInbound" value="@(context.Variables.GetValueOrDefault&lt;int&gt;(&quot;consumed&quot;, -1))" />',
        outbound:
          '<base /><set-header name="x-consumed-var" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;int&gt;("consumed", -1).ToString())</value></set-header>' +
          '<set-header name="x-consumed-at-inbound" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;int&gt;("consumedAtInbound", -1).ToString())</value></set-header>',
      }),
    });
    const base = gateway.instances[0]!.url;
    const content = 'count me';
    const p = promptTokens(userMessage(content));
    const answer = await chat(base, { key: TEST_KEYS.s1, content, completion: 21 });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-consumed')).toBe(String(p + 21));
    // The estimate while the request goes out; the reported count once the answer is in.
    expect(answer.headers.get('x-consumed-at-inbound')).toBe(String(p));
    expect(answer.headers.get('x-consumed-var')).toBe(String(p + 21));
  });
});

describe('the sample (deploy/apim) consumer classes', () => {
  const sample = (): GatewayConfig => {
    const config = loadGatewayConfig('deploy/apim');
    delete config.frontDoor;
    return config;
  };

  it('gives each class its tokens-per-minute budget, per subscription', async () => {
    const gateway = await startWith(sample(), new ManualClock(T0));
    const base = gateway.instance('East US').url;
    const content = 'Which budget am I on?';
    const p = promptTokens(userMessage(content));
    const budgets: [string, number][] = [
      ['local-critical-ops-key', 50_000],
      ['local-user-facing-key', 20_000],
      ['local-batch-key', 5_000],
      ['local-dev-test-key', 1_000],
    ];
    for (const [key, tpm] of budgets) {
      const answer = await chat(base, { key, content, completion: 7 });
      expect(answer.status, key).toBe(200);
      expect(answer.headers.get('x-gateway-remaining-tokens'), key).toBe(String(tpm - p));
      expect(answer.headers.get('x-gateway-tokens-consumed'), key).toBe(String(p + 7));
    }
  });

  it('dev-test: the tokens admitted within a minute stay within 1,000 plus one request (measured at the fleet)', async () => {
    const clock = new ManualClock(T0);
    const gateway = await startWith(sample(), clock);
    const base = gateway.instance('East US').url;
    const content = 'A dev-test request.';
    const p = promptTokens(userMessage(content));
    const c = 150;
    const before = shared.fleet.ledger.lastSeq;
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 9; i++) {
      clock.advance(1_000);
      last = await chat(base, { key: 'local-dev-test-key', content, completion: c });
      statuses.push(last.status);
      if (last.status !== 200) break;
    }
    // Admitted while the window holds under 1,000 and this prompt still fits.
    let expectedAdmitted = 0;
    while (expectedAdmitted * (p + c) + p <= 1000) expectedAdmitted++;
    expect(statuses).toEqual([...Array.from({ length: expectedAdmitted }, () => 200), 429]);
    expect(JSON.parse(last!.text).message).toMatch(/^Token limit is exceeded\. Try again in \d+ seconds\.$/);

    const records = ledgerRecords(before).filter((r) => r.subscription === 'dev-test');
    expect(records).toHaveLength(expectedAdmitted);
    const admittedTokens = records.reduce((sum, r) => sum + r.promptTokens + r.completionTokens, 0);
    expect(admittedTokens).toBe(expectedAdmitted * (p + c));
    expect(admittedTokens).toBeGreaterThan(1000);
    expect(admittedTokens).toBeLessThanOrEqual(1000 + (p + c));
    // Low priority goes to the region's PAYG resource.
    expect(new Set(records.map((r) => r.backend))).toEqual(new Set(['aoai-eastus-payg']));
  });
});
