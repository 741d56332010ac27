/**
 * How a drill ends when the harness, not the gateway, fails: refused before any load (a step
 * the target cannot apply), or interrupted. Neither needs k6: both end before it starts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultK6ConfigFile } from '../run/run-scenario.ts';
import { loadDrill } from './drill-file.ts';
import type { DrillJournal } from './drill-journal.ts';
import { runDrill } from './run-drill.ts';

const shipped = join(import.meta.dirname, '..', '..', 'drills', 'backend-pool-member-ejected.drill.json');

function drillWith(edit: (drill: any) => void) {
  const spec = JSON.parse(readFileSync(shipped, 'utf8'));
  edit(spec);
  const dir = mkdtempSync(join(tmpdir(), 'run-drill-'));
  const file = join(dir, 'edited.drill.json');
  writeFileSync(file, JSON.stringify(spec));
  return { drill: loadDrill(file, defaultK6ConfigFile), resultsDir: join(dir, 'results') };
}

describe('a drill the harness cannot run', () => {
  it('is aborted before any load when a step names a backend the fleet does not have, with its journal and rollbacks written', async () => {
    const { drill, resultsDir } = drillWith((d) => (d.method.plan.timeline[0].fault.target.backend = 'aoai-nowhere-ptu9'));
    const { journal, journalFile } = await runDrill(drill, { resultsDir });
    expect(journal.status).toBe('aborted');
    expect(journal.exitCode).toBe(2);
    expect(journal.problem).toContain('aoai-nowhere-ptu9');
    // The harness failed: nothing of the gateway was judged, so nothing deviated.
    expect(journal.deviations).toEqual([]);
    expect(journal.hypothesis.before).toEqual([]);
    expect(journal.run).toMatchObject({ status: 'incomplete', exitCode: 2 });
    expect(journal.rollbacks).toEqual([expect.objectContaining({ kind: 'clear-fleet-faults', status: 'not-needed' })]);
    const written = JSON.parse(readFileSync(journalFile, 'utf8')) as DrillJournal;
    expect(written.status).toBe('aborted');
    // The method's plan was kept with the drill, as the scenario its run ran.
    expect(existsSync(join(journalFile, '..', 'k6.config.json'))).toBe(true);
  });

  it('is interrupted, not deviated, when stopped', async () => {
    const { drill, resultsDir } = drillWith(() => undefined);
    const abort = new AbortController();
    abort.abort();
    const { journal } = await runDrill(drill, { resultsDir, signal: abort.signal });
    expect(journal.status).toBe('interrupted');
    expect(journal.exitCode).toBe(2);
    expect(journal.deviations).toEqual([]);
  });
});
