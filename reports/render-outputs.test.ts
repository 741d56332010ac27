import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureClientRecord, fixtureJournal, fixtureLedgerRequest, writeFixtureRun } from './fixture-run-folder.ts';
import { appendStepSummary, reportErrorLog, reportOutputs, writeRunReports } from './render-outputs.ts';
import { capacityJournal } from './summary-fixtures.ts';

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

describe('writeRunReports', () => {
  it('writes every format of the outputs map into a run folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outputs-'));
    writeFixtureRun(dir, { journal: fixtureJournal(), client: [fixtureClientRecord(t0)] });
    const result = writeRunReports(dir);
    expect(result.failed).toEqual([]);
    expect(readdirSync(dir).filter((f) => Object.values(reportOutputs).some((o) => o.file === f)).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
  });

  it('writes a capacity run\'s four reports, its JUnit from the conclusion', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outputs-'));
    writeFileSync(join(dir, 'capacity-journal.json'), JSON.stringify(capacityJournal()));
    expect(writeRunReports(dir).failed).toEqual([]);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('name="capacity.knee"');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('| Knee | 40 req/s over 2 unit(s), confirmed by a longer hold |');
  });

  it('writes an aborted drill\'s four reports, its reason first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outputs-'));
    const drill = {
      schemaVersion: 1, drill: 'region-outage', title: 'A region goes down', playbookEvent: 'region outage', file: 'drills/region-outage.drill.json', drillRunId: 'd1',
      startedAt: new Date(t0).toISOString(), endedAt: new Date(t0 + 1000).toISOString(), status: 'aborted', exitCode: 2, problem: 'step x names backend y, which the fleet does not have',
      run: null, logAnalytics: null, hypothesis: { title: 'steady', before: [], after: [], method: [] }, verdicts: [], detection: [], rollbacks: [{ kind: 'clear-fleet-faults', what: 'fleet faults', status: 'failed', detail: 'fleet gone' }], deviations: [],
    };
    writeFileSync(join(dir, 'drill-journal.json'), JSON.stringify(drill));
    expect(writeRunReports(dir).failed).toEqual([]);
    const md = readFileSync(join(dir, 'report.md'), 'utf8').split('\n');
    expect(md[0]).toBe('## Spillway drill region-outage: DID NOT COMPLETE (exit 2)');
    expect(md[2]).toBe('> **The drill did not complete (aborted):** step x names backend y, which the fleet does not have');
    expect(md).toContain('- **rollback failed**: fleet faults: fleet gone');
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('name="run"><error message="aborted" type="harness">step x names backend y');
  });

  it('keeps going past a report that fails: logged with its stack, the journal untouched, the others written, none linking the missing HTML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outputs-'));
    writeFixtureRun(dir, { journal: fixtureJournal(), client: [fixtureClientRecord(t0)], ledger: [fixtureLedgerRequest(1, t0)] });
    // A ledger row the HTML (which charts the ledger) cannot parse; the Markdown, JUnit and JSON do not read the ledger.
    appendFileSync(join(dir, 'fleet-ledger.jsonl'), 'not json\n');
    const journal = readFileSync(join(dir, 'journal.json'), 'utf8');
    const result = writeRunReports(dir);
    expect(result.failed.map((f) => f.format)).toEqual(['html']);
    expect(result.failed[0]!.message).toMatch(/fleet-ledger\.jsonl:2: not JSON/);
    expect(readFileSync(join(dir, reportErrorLog), 'utf8')).toMatch(/rendering the html report: ReportInputError: .*fleet-ledger\.jsonl:2: not JSON[^]*\n\s+at /);
    expect(readFileSync(join(dir, 'journal.json'), 'utf8')).toBe(journal);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).not.toContain('report.html');
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).reports).toEqual({ md: 'report.md', junit: 'junit.xml', json: 'report.json' });
    expect(existsSync(join(dir, 'junit.xml'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('says why when the folder cannot be loaded at all, never throwing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outputs-'));
    writeFileSync(join(dir, 'journal.json'), '{"schemaVersion": 2');
    expect(writeRunReports(dir).failed).toEqual([{ format: 'load', message: expect.stringMatching(/journal\.json: not JSON/) }]);
  });
});

describe('appendStepSummary', () => {
  it('says a summary it cannot write, and throws nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outputs-'));
    writeFileSync(join(dir, 'report.md'), '## x\n');
    const said: string[] = [];
    expect(appendStepSummary(dir, (l) => said.push(l), { GITHUB_STEP_SUMMARY: join(dir, 'no', 'such', 'folder', 'summary.md') })).toBeNull();
    expect(said[0]).toMatch(/\$GITHUB_STEP_SUMMARY .*summary\.md could not be written \(ENOENT\)/);
  });
});
