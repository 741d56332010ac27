/**
 * The front door's event file against its contract (harness/contracts/front-door-events.ts):
 * a real front door on loopback probes two origins, serves requests, loses its primary origin
 * (connections refused: failed probes, a health change, a request that fails over the wire)
 * and every line it wrote must pass the schema the harness reads it with.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frontDoorEventSchema, type FrontDoorEvent } from '../../harness/contracts/front-door-events.ts';
import { startFrontDoor } from './front-door.ts';
import { send, startTestOrigin, waitFor } from './test-support.ts';

describe('the front door event file', () => {
  it('holds only events the contract accepts: probes, health changes and requests, failures included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spillway-fd-contract-'));
    const eventsPath = join(dir, 'front-door-events.jsonl');
    const east = await startTestOrigin('east');
    const west = await startTestOrigin('west');
    const fd = await startFrontDoor({
      origins: [
        { name: 'east', url: east.url, priority: 1 },
        { name: 'west', url: west.url, priority: 2 },
      ],
      probe: { intervalSeconds: 0.2, sampleSize: 4, successfulSamplesRequired: 3, timeoutMs: 2_000 },
      eventsPath,
      retainEvents: 0,
    });
    const chat = async (): Promise<number> => (await send(`${fd.url}/openai/deployments/gpt/chat/completions`, { method: 'POST', body: '{}' })).status;
    try {
      expect(await chat()).toBe(200);
      // East refuses connections: requests fail until its probes mark it unhealthy, then go west.
      await east.stop();
      const failed = await chat();
      expect(failed).toBeGreaterThanOrEqual(500);
      await waitFor(async () => (await send(`${fd.url}/openai/deployments/gpt/chat/completions`, { method: 'POST', body: '{}' })).headers['x-fd-origin'] === 'west', 'traffic on west');
    } finally {
      await fd.stop();
      await Promise.all([east.close(), west.close()]);
    }

    const lines = (await readFile(eventsPath, 'utf8')).split('\n').filter((line) => line !== '');
    await rm(dir, { recursive: true, force: true });
    const events: FrontDoorEvent[] = lines.map((line, index) => {
      const parsed = frontDoorEventSchema.safeParse(JSON.parse(line));
      expect(parsed.error?.issues, `${eventsPath}:${index + 1}: ${line}`).toBeUndefined();
      return parsed.data!;
    });
    // Strict schemas: what passed is the line itself.
    expect(events).toEqual(lines.map((line) => JSON.parse(line) as unknown));
    expect(events.some((e) => e.type === 'probe' && e.success)).toBe(true);
    expect(events.some((e) => e.type === 'probe' && !e.success && e.error !== undefined)).toBe(true);
    expect(events.some((e) => e.type === 'health' && e.origin === 'east' && !e.healthy)).toBe(true);
    expect(events.some((e) => e.type === 'request' && e.status === 200 && e.origin === 'east')).toBe(true);
    expect(events.some((e) => e.type === 'request' && e.errorInfo !== 'NoError')).toBe(true);
  });
});
