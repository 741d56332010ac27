import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigSourceRow } from '../../mocks/apim/gateway/config-source.ts';
import { ManagedProcess } from '../process/managed-process.ts';
import { sampleConfigDir } from './gateway-command.ts';

/**
 * `spillway gateway up --config-source <dir> --poll-seconds n`: the emulator started from a
 * configuration source it polls, as its own process (killed in afterAll, and by setpriv's
 * parent-death signal if the test process dies first).
 */
const spillway = fileURLToPath(new URL('../../bin/spillway.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'gateway-config-source-'));
const source = join(root, 'source');
const logs = join(root, 'logs');
let gateway: ManagedProcess;
let entry: string;

const rows = (): ConfigSourceRow[] => {
  const path = join(logs, 'config-source.jsonl');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as ConfigSourceRow) : [];
};
async function until(check: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
const chat = (key: string): Promise<number> =>
  fetch(`${entry}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': key, 'x-priority': 'medium' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
  }).then((response) => response.status);

beforeAll(async () => {
  cpSync(sampleConfigDir, source, { recursive: true });
  gateway = new ManagedProcess({
    name: 'spillway gateway up',
    command: process.execPath,
    args: [spillway, 'gateway', 'up', '--config-source', source, '--poll-seconds', '0.2', '--latency-scale', '0', '--logs', logs, '--json', '--duration', '60'],
    logFile: join(root, 'process.log'),
    readyWhen: (line) => 'regions' in line,
  });
  const ready = (await gateway.start()) as { frontDoor: string; configSource: { version: string } };
  entry = ready.frontDoor;
  expect(ready.configSource.version).toMatch(/^[0-9a-f]{12}$/);
}, 30_000);
afterAll(async () => {
  await gateway?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('spillway gateway up --config-source', () => {
  it('keeps serving when the source is unreachable, logs it, then picks up a good new version', async () => {
    expect(await chat('local-user-facing-key')).toBe(200);
    const started = rows()[0]!;
    expect(started.outcome).toBe('started');

    renameSync(source, `${source}-away`);
    await until(() => rows().some((row) => row.outcome === 'unreachable'));
    expect(rows().find((row) => row.outcome === 'unreachable')).toMatchObject({ servingVersion: started.servingVersion });
    expect(await chat('local-user-facing-key')).toBe(200);
    renameSync(`${source}-away`, source);

    const emulator = join(source, 'emulator.json');
    writeFileSync(emulator, readFileSync(emulator, 'utf8').replace('"local-user-facing-key"', '"local-user-facing-key-rotated"'));
    await until(() => rows().at(-1)?.outcome === 'applied');
    expect(rows().at(-1)).toMatchObject({ outcome: 'applied' });
    expect(rows().at(-1)!.servingVersion).not.toBe(started.servingVersion);
    expect(await chat('local-user-facing-key-rotated')).toBe(200);
  });

  it('refuses --poll-seconds without --config-source, and --config with it, before starting', () => {
    for (const [args, says] of [
      [['--poll-seconds', '1'], '--poll-seconds needs --config-source'],
      [['--config-source', source, '--config', sampleConfigDir], '--config-source and --config: give one'],
    ] as const) {
      const result = spawnSync(process.execPath, [spillway, 'gateway', 'up', ...args, '--logs', join(root, 'never')], { encoding: 'utf8', timeout: 20_000 });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(says);
      expect(existsSync(join(root, 'never'))).toBe(false);
    }
  });
});
