import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureClientRecord, fixtureJournal, fixtureVerdict, writeFixtureRun } from './fixture-run-folder.ts';
import { renderJsonReport, renderJsonSummary, reportSchemaVersion } from './json.renderer.ts';
import { summarizeCapacity } from './report-summary.ts';
import { loadRunFolder } from './run-folder.ts';
import { capacityJournal } from './summary-fixtures.ts';

describe('renderJsonReport', () => {
  it('holds the schema version, kind, outcome, verdicts failed first and the key numbers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'json-'));
    const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
    writeFixtureRun(dir, { journal: fixtureJournal({ exitCode: 1, verdicts: [fixtureVerdict('a', 'pass'), fixtureVerdict('b', 'fail')] }), client: Array.from({ length: 60 }, (_, i) => fixtureClientRecord(t0 + i * 1000, { status: i < 3 ? 429 : 200, errorOrigin: i < 3 ? 'gateway' : '' })) });
    const document = JSON.parse(renderJsonReport(loadRunFolder(dir), { reports: { html: 'report.html' } })) as Record<string, unknown>;
    expect(document).toMatchObject({
      schema: 'spillway-report',
      reportSchemaVersion,
      kind: 'run',
      id: 'fixture-run',
      name: 'fixture',
      status: 'completed',
      exitCode: 1,
      outcome: 'fail',
      problem: null,
      journal: { file: 'journal.json', schemaVersion: 2 },
      numbers: { requests: 60, targetRps: 2, achievedRps: 1, errorShare: 0.05, errorsByOrigin: { gateway: 3 } },
      capacity: null,
      drill: null,
      reports: { html: 'report.html' },
      baseline: null,
    });
    expect((document['verdicts'] as { check: string }[]).map((v) => v.check)).toEqual(['b', 'a']);
  });

  it('carries a capacity run\'s knee and recommendation', () => {
    const document = JSON.parse(renderJsonSummary(summarizeCapacity(capacityJournal(), 'cap-1', '/x/capacity-journal.json'))) as Record<string, unknown>;
    expect(document).toMatchObject({ kind: 'capacity', name: 'light', outcome: 'pass', capacity: { kneeRps: 40, rpsPerUnit: 20, recommendedUnits: 3 } });
  });
});
