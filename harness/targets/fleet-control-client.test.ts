import { createServer, type Server } from 'node:http';
import { inspect } from 'node:util';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { RunningFleet } from '../../mocks/aoai/fleet.ts';
import type { LedgerPage as FleetLedgerPage } from '../../mocks/aoai/ledger.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { FleetControlClient, FleetControlError, type LedgerPage } from './fleet-control-client.ts';
import { sendChats, startTestFleet } from './test-fleet-support.ts';

const running: RunningFleet[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fleet) => fleet.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function fleet(options: Parameters<typeof startTestFleet>[0] = {}): Promise<RunningFleet> {
  const started = await startTestFleet(options);
  running.push(started);
  return started;
}

/** A stand-in control API that answers every call with `status` and `body`. */
async function fakeControl(status: number, body: string): Promise<string> {
  const server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function failure(call: Promise<unknown>): Promise<FleetControlError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(FleetControlError);
    expect(error).toBeInstanceOf(UserFacingError);
    return error as FleetControlError;
  }
  throw new Error('the call succeeded');
}

describe('FleetControlClient against a real fleet', () => {
  it('describes the fleet as the fleet does', async () => {
    const started = await fleet();
    const client = new FleetControlClient({ control: `${started.describe().control}/` });
    expect(await client.describe()).toEqual(started.describe());
    await expect(client.health()).resolves.toBeUndefined();
  });

  it('injects, lists and clears fault rules', async () => {
    const started = await fleet();
    const client = FleetControlClient.for(started.describe(), {});
    const rule = await client.injectFault({ kind: 'status', status: 503, target: { backend: 'aoai-east-1' }, label: 'step 1' });
    expect(rule).toMatchObject({ kind: 'status', status: 503, rate: 1, label: 'step 1', expiresAt: null });
    expect(started.faults.list()).toEqual([rule]);
    const west = await client.injectFault({ kind: 'latency', latencyMs: 5, target: { region: 'West US' } });
    expect((await client.listFaults()).map((f) => f.id).sort()).toEqual([rule.id, west.id].sort());

    expect(await client.clearFault(rule.id)).toBe(true);
    // Gone already (cleared, or expired): false, not an error, so a rollback can tell but need not fail.
    expect(await client.clearFault(rule.id)).toBe(false);
    expect(await client.clearFaults({ region: 'East US' })).toBe(0);
    expect(await client.clearFaults({ region: 'West US' })).toBe(1);
    expect(started.faults.list()).toEqual([]);
  });

  it("turns the fleet's refusal of a fault rule into one message naming every field", async () => {
    const started = await fleet();
    const client = FleetControlClient.for(started.describe(), {});
    const refused = await failure(client.injectFault({ kind: 'status', target: {}, label: 'drain east' }));
    expect(refused.message).toBe(`the fleet at ${started.describe().control} refused the fault rule "drain east": target: name a backend or a region; status: required for kind "status"`);
    expect(refused.retryable).toBe(false);
    expect(refused.status).toBe(400);
    const unknownBackend = await failure(client.injectFault({ kind: 'hang', target: { backend: 'aoai-east-9' } }));
    expect(unknownBackend.message).toContain('refused the hang fault rule: target.backend: no backend named "aoai-east-9" (the fleet has aoai-east-1, aoai-east-2, aoai-west-1)');
  });

  it('pages the ledger, each record checked, and says where it ends', async () => {
    const started = await fleet();
    const client = FleetControlClient.for(started.describe(), {});
    expect(await client.latestSeq()).toBe(0);
    await sendChats(started, 5);
    const first = await client.readLedger(0, 2);
    expect(first.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(first).toMatchObject({ next: 2, truncated: false, last: 5 });
    const rest = await client.readLedger(first.next, 100);
    expect(rest.records).toEqual(started.ledger.read(2, 100).records);
    expect(await client.latestSeq()).toBe(5);
    await expect(client.readLedger(-1)).rejects.toThrow(RangeError);
    await expect(client.readLedger(0, 10_001)).rejects.toThrow(RangeError);
  });

  it('reports a fleet that is gone as retryable, with the reason', async () => {
    const gone = await startTestFleet();
    const control = gone.describe().control;
    await gone.close();
    const error = await failure(new FleetControlClient({ control }).readLedger(0, 10));
    expect(error.message).toBe(`the fleet's control API at ${control} did not answer GET /ledger?after=0&limit=10 (ECONNREFUSED): is \`spillway fleet up\` still running?`);
    expect(error.retryable).toBe(true);
    expect(error.status).toBeNull();
  });
});

describe('the control token', () => {
  const token = 'tok-client-9981-secret';

  it('is sent as a bearer token, taken from SPILLWAY_CONTROL_TOKEN', async () => {
    const started = await fleet({ controlToken: token });
    await sendChats(started, 2);
    const client = FleetControlClient.for(started.describe(), { SPILLWAY_CONTROL_TOKEN: token });
    expect((await client.readLedger(0, 10)).records).toHaveLength(2);
    await client.clearFault((await client.injectFault({ kind: 'reset', target: { backend: 'aoai-west-1' } })).id);
  });

  it('is never in an error message nor in the client as printed', async () => {
    const started = await fleet({ controlToken: token });
    const control = started.describe().control;
    const missing = await failure(FleetControlClient.for(started.describe(), {}).readLedger(0, 1));
    expect(missing.message).toBe(`the fleet's control API at ${control} needs a token (401) on GET /ledger?after=0&limit=1: set SPILLWAY_CONTROL_TOKEN to the token the fleet was started with`);
    expect(missing.retryable).toBe(false);
    const wrongClient = new FleetControlClient({ control, token: 'wrong-token-5521' });
    const wrong = await failure(wrongClient.injectFault({ kind: 'hang', target: { backend: 'aoai-east-1' } }));
    expect(wrong.message).toBe(`the fleet's control API at ${control} refused the token in SPILLWAY_CONTROL_TOKEN (401) on POST /faults: set it to the token the fleet was started with`);
    const rightClient = new FleetControlClient({ control, token });
    for (const text of [missing.message, wrong.message, inspect(rightClient, { showHidden: true, depth: 5 }), JSON.stringify(rightClient)]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain('wrong-token-5521');
    }
  });
});

describe('answers that are not what a fleet sends', () => {
  it('names the record and the field of a ledger record the contract refuses', async () => {
    const control = await fakeControl(200, JSON.stringify({ records: [{ type: 'request', seq: 7, status: 'ok' }], next: 7, truncated: false, last: 7 }));
    const error = await failure(new FleetControlClient({ control }).readLedger(6, 10));
    expect(error.message).toMatch(new RegExp(`^the fleet at ${control} answered GET /ledger\\?after=6&limit=10 with a record that is not a ledger record \\(record 1, seq 7\\): start: Invalid input`));
    expect(error.retryable).toBe(false);
  });

  it('refuses a page without `last` (a fleet of another version)', async () => {
    const control = await fakeControl(200, JSON.stringify({ records: [], next: 0, truncated: false }));
    expect((await failure(new FleetControlClient({ control }).latestSeq())).message).toBe(
      `the fleet at ${control} answered GET /ledger?after=0&limit=0 with an unexpected body (is it a Spillway fleet of this version?): last: Invalid input: expected number, received undefined`,
    );
  });

  it('treats a 5xx as retryable and a body that is not JSON as not a fleet', async () => {
    const busy = await fakeControl(503, JSON.stringify({ error: 'busy' }));
    const unavailable = await failure(new FleetControlClient({ control: busy }).health());
    expect(unavailable.message).toBe(`the fleet's control API at ${busy} answered GET /health with 503: busy`);
    expect(unavailable.retryable).toBe(true);
    const html = await fakeControl(200, '<html>');
    expect((await failure(new FleetControlClient({ control: html }).describe())).message).toBe(`the fleet's control API at ${html} answered GET /fleet with 200 and a body that is not JSON: is ${html} a Spillway fleet's control API?`);
  });
});

it("the client's ledger page is the fleet's, record for record", () => {
  expectTypeOf<LedgerPage>().toEqualTypeOf<FleetLedgerPage>();
});
