import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../mocks/aoai/ledger.ts';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-scenario.ts';
import { startEmbeddedTopology, type EmbeddedTopology } from './embedded-topology.ts';
import { loadK6Config, scenarioPlan } from '../run/scenario-plan.ts';

/**
 * An api-version Azure does not serve, sent through the embedded topology (front door, the
 * sample gateway, the fleet). APIM does not check api-version values itself (only the
 * validate-parameters policy would, and the sample has none): the gateway forwards the request
 * and its caller gets the backend's answer, which for Azure OpenAI is 404 "Resource not found".
 */
describe('an unknown api-version through the gateway', () => {
  let topology: EmbeddedTopology;
  beforeAll(async () => {
    const config = loadK6Config(defaultK6ConfigFile);
    const dir = mkdtempSync(join(tmpdir(), 'api-version-'));
    topology = await startEmbeddedTopology({
      plan: scenarioPlan(config, 'smoke', defaultK6ConfigFile),
      configDir: defaultGatewayConfigDir,
      ledgerPath: join(dir, 'fleet-ledger.jsonl'),
      logsDir: join(dir, 'gateway-logs'),
      env: {},
    });
  });
  afterAll(async () => {
    await topology?.close();
  });

  const send = (apiVersion: string): Promise<Response> =>
    fetch(`${topology.entryUrl}/openai/deployments/gpt-4o/chat/completions?api-version=${apiVersion}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'local-user-facing-key', 'x-priority': 'medium' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 }),
    });

  it("is forwarded, and the caller gets the backend's 404 Resource not found", async () => {
    const before = topology.fleet.ledger.lastSeq;
    const response = await send('1999-01-01');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
    // The backend saw it: the gateway did not answer on its own.
    const records = topology.fleet.ledger.read(before, 100).records.filter((r): r is RequestRecord => r.type === 'request');
    expect(records.map((r) => [r.apiVersion, r.status, r.reason])).toEqual([['1999-01-01', 404, 'not-found']]);
  });

  it('a version Azure serves is answered', async () => {
    expect((await send('2024-10-21')).status).toBe(200);
  });
});
