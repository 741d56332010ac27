import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSamplesFile, findRunnerFolders } from './runner-folders.ts';

const runId = 'spillway-spillover-20261207-071530';
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'spillway-runner-folders-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const point = JSON.stringify({ type: 'Point', metric: 'http_reqs', data: { time: '2026-12-07T07:15:31.000000Z', value: 1, tags: {} } });
function runner(pod: string, files: { samples?: string; summary?: boolean } = {}): string {
  const dir = join(root, pod);
  mkdirSync(dir, { recursive: true });
  if (files.samples !== undefined) writeFileSync(join(dir, 'k6-samples.json'), files.samples);
  if (files.summary !== false && files.samples !== undefined) writeFileSync(join(dir, 'k6-summary-export.json'), '{"metrics":{}}');
  return dir;
}

describe('findRunnerFolders', () => {
  it("finds this run's runner pods' folders and passes over the initializer's empty one", () => {
    runner(`${runId}-2-m2c8w`, { samples: `${point}\n` });
    runner(`${runId}-1-q4t9z`, { samples: `${point}\n` });
    runner(`${runId}-initializer-x7k2p`);
    writeFileSync(join(root, 'notes.txt'), 'not a folder');
    expect(findRunnerFolders(root, runId, 2).map((r) => r.pod)).toEqual([`${runId}-1-q4t9z`, `${runId}-2-m2c8w`]);
  });

  it('refuses a folder with no runner, naming the folder and what it looked for', () => {
    runner(`${runId}-initializer-x7k2p`);
    expect(() => findRunnerFolders(root, runId, 2)).toThrow(new RegExp(`${root}: no runner's results: no sub-folder holds k6-samples\\.json`));
    expect(() => findRunnerFolders(join(root, 'nope'), runId, 2)).toThrow(/nope: no such folder/);
  });

  it("refuses samples of another run: the plan does not match the runners", () => {
    runner('spillway-priority-20261206-101010-1-abcde', { samples: `${point}\n` });
    runner(`${runId}-1-q4t9z`, { samples: `${point}\n` });
    expect(() => findRunnerFolders(root, runId, 2)).toThrow(/spillway-priority-20261206-101010-1-abcde holds k6 samples but is not a runner of run spillway-spillover-20261207-071530 .*the wrong --plan/);
  });

  it('refuses fewer or more runner folders than the run had runners', () => {
    runner(`${runId}-1-q4t9z`, { samples: `${point}\n` });
    expect(() => findRunnerFolders(root, runId, 2)).toThrow(/1 runner folder \(.*-1-q4t9z\), but run .* had 2 runners: a missing runner's share/);
    runner(`${runId}-2-m2c8w`, { samples: `${point}\n` });
    runner(`${runId}-2-zz9zz`, { samples: `${point}\n` });
    expect(() => findRunnerFolders(root, runId, 2)).toThrow(/3 runner folders .* more folders than runners/);
  });

  it('refuses a runner that wrote no summary export (it did not finish)', () => {
    runner(`${runId}-1-q4t9z`, { samples: `${point}\n`, summary: false });
    expect(() => findRunnerFolders(root, runId, 1)).toThrow(/-1-q4t9z\/k6-summary-export\.json: missing; .* did not finish/);
  });
});

describe('checkSamplesFile', () => {
  it('accepts whole k6 output and refuses a truncated line, naming the file and the line', async () => {
    const dir = runner(`${runId}-1-q4t9z`, { samples: `${point}\n${point}\n` });
    await expect(checkSamplesFile(join(dir, 'k6-samples.json'))).resolves.toEqual({ lines: 2 });
    writeFileSync(join(dir, 'k6-samples.json'), `${point}\n${point}\n${point.slice(0, 40)}`);
    await expect(checkSamplesFile(join(dir, 'k6-samples.json'))).rejects.toThrow(new RegExp(`k6-samples\\.json:3: not a line of k6's JSON output .*truncated or damaged`));
    writeFileSync(join(dir, 'k6-samples.json'), `${point}\n{"type":"Summary"}\n`);
    await expect(checkSamplesFile(join(dir, 'k6-samples.json'))).rejects.toThrow(/k6-samples\.json:2: .*not a k6 Point or Metric line/);
    writeFileSync(join(dir, 'k6-samples.json'), '');
    await expect(checkSamplesFile(join(dir, 'k6-samples.json'))).rejects.toThrow(/empty; the runner wrote no samples/);
  });
});
