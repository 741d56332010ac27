/**
 * The before-gate, run for real (k6 on the embedded default): a drill whose steady state cannot
 * hold before the method ends without its faults applied, its load stopped at the gate, its
 * journal `deviated` with the method not run (not aborted, not interrupted: the gateway, not the
 * harness, is what failed). One drill fails the gate on an http probe (a status the gateway
 * never answers, judged over k6's samples so far), the other on a kql probe over the gateway
 * rows so far (no row at all: met only if the rows written while the load runs are not seen).
 * A third fails it on a probe that sends its own requests (as a consumer the method does not
 * drive). The three run side by side, about 12 s of load each. Skipped, with the reason printed, where k6 is
 * not provisioned.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Journal } from '../run/journal.ts';
import { defaultK6ConfigFile } from '../run/run-scenario.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { readClientRecords } from '../evidence/k6-samples.ts';
import { drillFileByName } from './drill-catalog.ts';
import { loadDrill } from './drill-file.ts';
import { runDrill } from './run-drill.ts';

const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') process.stdout.write(`before-gate.e2e.test.ts: skipped: k6 is not provisioned (${inspection.reasons.join('; ')})\n`);

function editedDrill(dir: string, name: string, edit: (spec: any) => void) {
  const spec = JSON.parse(readFileSync(drillFileByName('backend-pool-member-ejected'), 'utf8'));
  edit(spec);
  const file = join(dir, `${name}.drill.json`);
  writeFileSync(file, JSON.stringify(spec));
  return loadDrill(file, defaultK6ConfigFile);
}

describe.skipIf(inspection.status === 'missing')('the before-gate: a steady state that does not hold before the method', () => {
  it('cancels the faults and stops the load, on an http probe (k6 samples so far) and on a kql probe (gateway rows so far)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'before-gate-e2e-'));
    const httpDrill = editedDrill(dir, 'never-5xx', (spec) => {
      spec.steadyStateHypothesis.probes = [{ name: 'user-facing answered 5xx', kind: 'http', consumer: 'user-facing', status: { min: 500, max: 599 } }];
    });
    const kqlDrill = editedDrill(dir, 'no-rows', (spec) => {
      spec.steadyStateHypothesis.probes = [
        { name: 'user-facing answered 2xx', kind: 'http', consumer: 'user-facing', status: { min: 200, max: 299 } },
        { name: 'no gateway row at all', kind: 'kql', query: 'ApiManagementGatewayLogs\n| summarize Rows = count()', value: { column: 'Rows', aggregate: 'sum' }, tolerance: { max: 0 } },
      ];
    });
    // Its own requests (Chaos Toolkit's http probe), as batch, which the method does not drive.
    const ownDrill = editedDrill(dir, 'own-requests-5xx', (spec) => {
      spec.steadyStateHypothesis.probes = [{ name: 'batch answered 5xx, by its own requests', kind: 'http', status: { min: 500, max: 599 }, request: { consumer: 'batch', count: 5 } }];
    });
    const results = await Promise.all([httpDrill, kqlDrill, ownDrill].map((drill) => runDrill(drill, { resultsDir: join(dir, drill.name), seed: 5 })));
    for (const { journal, dir: drillDir } of results) {
      expect(journal.problem).toBeUndefined();
      expect(journal).toMatchObject({ status: 'deviated', exitCode: 1 });
      expect(journal.beforeGate).toMatchObject({ atSeconds: 10, status: 'deviated', method: 'not-run', faultsApplied: 0 });
      expect(journal.deviations[0]).toMatch(/^steady state before the method: did not hold at 10 s, so the method was not run \(0 of 1 fault\(s\) applied/);
      // Nothing after the gate was judged: no after window, no verdicts, no detection.
      expect(journal.hypothesis.after).toEqual([]);
      expect(journal.detection).toEqual([]);
      // The run's own records: its step never applied, and the fleet's ledger holds no fault change.
      const runDir = join(drillDir, journal.run!.folder);
      const runJournal = JSON.parse(readFileSync(join(runDir, 'journal.json'), 'utf8')) as Journal;
      expect(runJournal.timeline.map((f) => f.appliedAt)).toEqual([null]);
      expect(runJournal.problem).toMatch(/stopped before the method's faults, none applied/);
      const ledger = readFileSync(join(runDir, 'fleet-ledger.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { type: string; reasons?: string });
      expect(ledger.some((r) => r.type === 'request')).toBe(true);
      expect(ledger.filter((r) => r.type === 'fault')).toEqual([]);
      // The load stopped at the gate, well before the method's 36 s: k6's last request was sent before the fault was due to end.
      const records = await readClientRecords(join(runDir, 'k6-samples.json'));
      expect(records.length).toBeGreaterThan(0);
      expect(Math.max(...records.map((r) => r.time)) - Date.parse(runJournal.k6.startedAt!)).toBeLessThan(24_000);
      // The rollbacks still ran.
      expect(journal.rollbacks.some((r) => r.kind === 'clear-fleet-faults')).toBe(true);
    }
    const [http, kql, own] = results.map((r) => r.journal);
    expect(own!.hypothesis.before).toEqual([expect.objectContaining({ kind: 'http', status: 'deviated', measured: expect.stringMatching(/^0 of 5 own requests \(as batch\) \(0\.0%\) in range; the others: 5 × 200/) })]);
    // The key batch's requests carried is nowhere in the drill's folder's journal.
    const batchKey = (JSON.parse(readFileSync(defaultK6ConfigFile, 'utf8')) as { consumers: Record<string, { localKey: string }> }).consumers.batch!.localKey;
    expect(batchKey.length).toBeGreaterThan(0);
    expect(readFileSync(results[2]!.journalFile, 'utf8')).not.toContain(batchKey);
    expect(http!.hypothesis.before).toEqual([expect.objectContaining({ kind: 'http', status: 'deviated', measured: expect.stringMatching(/^0 of \d+ user-facing's requests/) })]);
    expect(kql!.hypothesis.before).toEqual([
      expect.objectContaining({ kind: 'http', status: 'held' }),
      expect.objectContaining({ kind: 'kql', status: 'deviated', measured: expect.stringMatching(/^[1-9]\d* over 1 of 1 result row/) }),
    ]);
  }, 120_000);
});
