import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeUnstartedFleet, type RunningFleet } from '../../mocks/aoai/fleet.ts';
import { parseTopology } from '../../mocks/aoai/topology.ts';
import type { FleetDescription } from '../contracts/fleet-description.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { checkFleetReachable, FleetFileError, FleetUnreachableError, loadFleetFile } from './fleet-file.ts';
import { startTestFleet, testTopology } from './test-fleet-support.ts';

const running: RunningFleet[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fleet) => fleet.close()));
});

async function fleet(options: Parameters<typeof startTestFleet>[0] = {}): Promise<RunningFleet> {
  const started = await startTestFleet(options);
  running.push(started);
  return started;
}

const folder = mkdtempSync(join(tmpdir(), 'fleet-file-'));
let files = 0;
function fileWith(text: string): string {
  const path = join(folder, `fleet-${++files}.json`);
  writeFileSync(path, text);
  return path;
}

/** What loadFleetFile threw, as a FleetFileError. */
function loadError(path: string): FleetFileError {
  try {
    loadFleetFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(FleetFileError);
    expect(error).toBeInstanceOf(UserFacingError);
    return error as FleetFileError;
  }
  throw new Error(`${path} loaded`);
}

async function reachabilityError(description: FleetDescription, env: NodeJS.ProcessEnv = {}, timeoutMs = 2_000): Promise<FleetUnreachableError> {
  try {
    await checkFleetReachable(description, env, { timeoutMs, source: 'fleet.json' });
  } catch (error) {
    expect(error).toBeInstanceOf(FleetUnreachableError);
    return error as FleetUnreachableError;
  }
  throw new Error('the fleet was reachable');
}

/** A started fleet's description, as plain JSON (what `fleet up --json` prints). */
async function startedDescription(): Promise<FleetDescription> {
  return JSON.parse(JSON.stringify((await fleet()).describe())) as FleetDescription;
}

describe('loadFleetFile', () => {
  it('reads the line `fleet up --json` prints, pretty-printed JSON, and the line among others', async () => {
    const description = await startedDescription();
    expect(loadFleetFile(fileWith(`${JSON.stringify(description)}\n`))).toEqual(description);
    expect(loadFleetFile(fileWith(JSON.stringify(description, null, 2)))).toEqual(description);
    // stderr sent to the same file: the one line that is a JSON object is the description.
    expect(loadFleetFile(fileWith(`warning: something on stderr\n${JSON.stringify(description)}\n`))).toEqual(description);
  });

  it('names the file when it cannot be read, is empty, or is not JSON', () => {
    const missing = join(folder, 'nope.json');
    expect(loadError(missing).message).toBe(`${missing}: cannot read the fleet description (ENOENT)`);
    const empty = fileWith('\n');
    expect(loadError(empty).message).toBe(`${empty}: empty; save the line \`spillway fleet up --json\` prints to it`);
    const notJson = fileWith('mock Azure OpenAI fleet (default topology)\n  aoai-eastus-ptu1 ...\n');
    expect(loadError(notJson).message).toMatch(new RegExp(`^${notJson}: not JSON \\(.+\\); save the line`));
    const two = fileWith('{"a":1}\n{"b":2}\n');
    expect(loadError(two).message).toBe(`${two}: lines 1, 2 each hold a JSON object; keep only the line \`spillway fleet up --json\` printed`);
  });

  it('names the file and every field at fault', async () => {
    const description = await startedDescription();
    const broken = JSON.parse(JSON.stringify(description)) as Record<string, unknown> & { backends: Record<string, unknown>[] };
    broken.backends[2]!.endpoint = 'not a url';
    broken.backends[1]!.kind = 'standard';
    delete broken.backends[0]!.deployments;
    broken.control = 'ftp://127.0.0.1:1';
    broken.token = 'x';
    const path = fileWith(JSON.stringify(broken));
    const message = loadError(path).message;
    expect(message.split('\n')[0]).toBe(`${path}: not a fleet description as \`spillway fleet up --json\` prints it:`);
    expect(message).toContain(`  ${path}: backends.2.endpoint: must be an http:// or https:// URL`);
    expect(message).toContain(`  ${path}: backends.1.kind: Invalid option: expected one of "ptu"|"payg"`);
    expect(message).toContain(`  ${path}: backends.0.deployments: Invalid input: expected array, received undefined`);
    expect(message).toContain(`  ${path}: control: must be an http:// or https:// URL`);
    expect(message).toContain(`  ${path}: (top level): Unrecognized key: "token"`);
  });

  it('refuses a description of a fleet that was never started, and two backends of one name', async () => {
    const unstarted = fileWith(JSON.stringify(describeUnstartedFleet(parseTopology(JSON.stringify(testTopology), 'test'))));
    expect(loadError(unstarted).message).toContain(`${unstarted}: backends.0.endpoint: port 0: this describes a fleet that was never started`);
    const description = await startedDescription();
    description.backends[2]!.name = description.backends[0]!.name;
    const twice = fileWith(JSON.stringify(description));
    expect(loadError(twice).message).toContain(`${twice}: backends.2.name: "aoai-east-1" names two backends`);
  });
});

describe('checkFleetReachable', () => {
  it('resolves for a running fleet, and sends no request a backend would record', async () => {
    const running = await fleet();
    await expect(checkFleetReachable(running.describe(), {})).resolves.toBeUndefined();
    expect(running.ledger.lastSeq).toBe(0);
  });

  it('names every listener of a fleet that is gone, and asks whether `fleet up` still runs', async () => {
    const gone = await startTestFleet();
    const description = gone.describe();
    await gone.close();
    const message = (await reachabilityError(description)).message;
    const lines = message.split('\n');
    expect(lines[0]).toBe('the fleet in fleet.json does not answer; nothing was started:');
    expect(lines).toContain(`  the control API at ${description.control} does not answer (ECONNREFUSED)`);
    for (const backend of description.backends) expect(lines).toContain(`  backend ${backend.name} at ${backend.endpoint} does not accept connections (ECONNREFUSED)`);
    expect(lines).toHaveLength(3 + description.backends.length);
    expect(lines.at(-1)).toMatch(/^is `spillway fleet up` still running\?/);
  });

  it('names only the backend whose listener is down', async () => {
    const running = await fleet();
    running.faults.inject({ kind: 'refuse', target: { backend: 'aoai-east-2' } });
    const description = running.describe();
    const down = description.backends.find((b) => b.name === 'aoai-east-2')!;
    // The listener goes down asynchronously after the rule is added.
    await expect.poll(async () => (await reachabilityError(description).catch(() => null))?.message.split('\n').slice(1, -1)).toEqual([`  backend aoai-east-2 at ${down.endpoint} does not accept connections (ECONNREFUSED)`]);
  });

  it('sends the token the environment sets, and says what to do when it is missing or wrong, never printing it', async () => {
    const token = 'tok-fleet-file-3141';
    const running = await fleet({ controlToken: token });
    const description = running.describe();
    await expect(checkFleetReachable(description, { SPILLWAY_CONTROL_TOKEN: token })).resolves.toBeUndefined();
    const without = (await reachabilityError(description, {})).message;
    expect(without).toContain(`the fleet's control API at ${description.control} needs a token (401) on GET /health: set SPILLWAY_CONTROL_TOKEN to the token the fleet was started with`);
    const wrong = (await reachabilityError(description, { SPILLWAY_CONTROL_TOKEN: 'not-the-token-2718' })).message;
    expect(wrong).toContain('refused the token in SPILLWAY_CONTROL_TOKEN (401)');
    for (const message of [without, wrong]) {
      expect(message).not.toContain(token);
      expect(message).not.toContain('not-the-token-2718');
    }
  });

  it('gives up on a control API that accepts connections but never answers, after the timeout', async () => {
    const running = await fleet();
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const description = { ...running.describe(), control: `http://127.0.0.1:${(silent.address() as { port: number }).port}` };
      const message = (await reachabilityError(description, {}, 300)).message;
      expect(message.split('\n').slice(1, -1)).toEqual([`  the control API at ${description.control} does not answer (timed out)`]);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
