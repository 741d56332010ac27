/**
 * The HTML report at scale (not a test): render time and file size of the report of a
 * 10-minute run at 1,000 requests per second, and the page's time to its first chart in
 * headless Chromium (issue #17, §4). Targets: renders in under 5 s, under 5 MB, first chart
 * under 1 s.
 *
 * The run's evidence is synthetic (bench/synthetic-evidence.ts: the shapes k6, the fleet and
 * the gateways write, with a PTU failure, a breaker trip and a regional outage), with a
 * journal around it (reports/fixture-run-folder.ts). Each measure has a side-by-side reference
 * taken in the same process, on the same machine, at the same moment, reported as a ratio:
 * - rendering from the folder (loading it, reading its evidence, computing the charts, writing
 *   the page: `spillway report` later) against reading the same evidence files and
 *   JSON.parse-ing every line in one thread, the floor any one-thread renderer of the folder
 *   pays (the render reads the ledger in a worker thread while it reads k6's samples,
 *   reports/html/evidence-tallies.ts: with a second core free, it goes below that floor), and
 *   against the same reading and parsing split the same way over two threads (the floor of
 *   that split, whether the second core is free or busy with other work);
 * - the whole of `spillway report <folder> --format html` (the function the command runs,
 *   harness/cli/report-command-run.ts: the render, the summary it prints, the file written)
 *   against the same two references: the summary is counted in the render's own read of k6's
 *   samples, so the command should cost little beyond the render;
 * - rendering at the end of the run, with the evidence its analysis read still in memory
 *   (withLoadedEvidence), against JSON.stringify of the same client records;
 * - the file's size against the chart data alone as JSON (what the page carries beyond it is
 *   the page code, uPlot and the verdicts);
 * - the time to the first chart against the time a blank page with one inline script takes
 *   to run that script (the browser's own start-up cost for a local file).
 *
 *   npm run bench:report [-- --seconds 600 --rate 1000 --repeats 3]
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { chromium } from 'playwright-core';
import { evidenceFileNames } from '../harness/contracts/evidence.ts';
import { fixtureJournal, fixtureVerdict } from '../reports/fixture-run-folder.ts';
import { reportClientAssets } from '../reports/html/build-client.ts';
import { clockAt } from '../reports/html/chart-tallies.ts';
import { tallyRunEvidence } from '../reports/html/evidence-tallies.ts';
import { renderHtmlReport } from '../reports/html/html.renderer.ts';
import { runCharts } from '../reports/html/run-charts.ts';
import { loadRunFolder, withLoadedEvidence, type RunRunFolder } from '../reports/run-folder.ts';
import { reportCommand } from '../harness/cli/report-command-run.ts';
import { writeSyntheticRun } from './synthetic-evidence.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    rate: { type: 'string', default: '1000' },
    repeats: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const repeats = Number(values.repeats);
const targets = { renderMs: 5_000, bytes: 5 * 1024 * 1024, firstChartMs: 1_000 };
const chromiumPath = process.env.SPILLWAY_CHROMIUM ?? '/usr/bin/chromium';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'spillway-report-bench-'));
try {
  const start = Date.UTC(2026, 0, 1, 12);
  console.log(`writing a synthetic run: ${seconds} s at ${rate} req/s into ${dir}`);
  const synthetic = await writeSyntheticRun(dir, { seconds, rate, start });
  const journal = fixtureJournal(
    {
      runId: 'bench-report',
      scenario: 'bench',
      startedAt: new Date(start).toISOString(),
      endedAt: new Date(start + seconds * 1000 + 2_000).toISOString(),
      k6: { exitCode: 0, signal: null, meaning: 'ok', startedAt: new Date(start).toISOString(), endedAt: new Date(start + seconds * 1000).toISOString(), bundle: null },
      timeline: synthetic.timeline,
      evidenceSources: (['ledger', 'client', 'gatewayLogs', 'llmLogs', 'breakerEvents', 'frontDoorEvents'] as const).map((kind) => ({ kind, status: 'collected' as const })),
      evidence: {
        ...evidenceFileNames,
        journal: 'journal.json',
      },
      verdicts: [fixtureVerdict('spillover.ptu-share', 'pass'), fixtureVerdict('circuit-breaker.trip-duration', 'fail'), fixtureVerdict('failover.detection', 'inconclusive')],
    },
    start,
  );
  journal.plan = { ...journal.plan, durationSeconds: seconds, traffic: journal.plan.traffic.map((c) => ({ ...c, ratePerUnit: rate })) };
  writeFileSync(join(dir, 'journal.json'), JSON.stringify(journal, null, 2));
  const evidenceBytes = ['k6-samples.json', 'fleet-ledger.jsonl'].reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  console.log(`evidence: ${synthetic.counts.clientRecords} client records, ${synthetic.counts.ledgerRecords} ledger records (${(evidenceBytes / 1e6).toFixed(0)} MB of the two files the charts read)`);

  // The page code is built (or found built) before anything is timed: a build is not a render.
  reportClientAssets();

  /** Every line of one evidence file, read and JSON.parse-d. */
  const readAndParseFile = (file: string): number => {
    let rows = 0;
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(4 * 1024 * 1024);
    let carry = Buffer.alloc(0);
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      const last = buffer.lastIndexOf(10, read - 1);
      const text = Buffer.concat([carry, buffer.subarray(0, last + 1)]).toString('utf8');
      carry = Buffer.from(buffer.subarray(last + 1, read));
      for (const line of text.split('\n')) if (line !== '') rows += JSON.parse(line) ? 1 : 0;
    }
    closeSync(fd);
    return rows;
  };
  /** The reference: every line of the evidence the charts read, read and JSON.parse-d in one thread. */
  const readAndParse = (): number => readAndParseFile(join(dir, 'k6-samples.json')) + readAndParseFile(join(dir, 'fleet-ledger.jsonl'));
  /**
   * The second reference: the same, the ledger in a worker thread while this thread does k6's
   * samples, as the render splits them (so its ratio holds whether the second core is free or not).
   */
  const parseWorkerCode = `const { workerData, parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const readAndParseFile = ${readAndParseFile.toString()};
parentPort.postMessage(readAndParseFile(workerData));`;
  const readAndParseTwoThreads = async (): Promise<number> => {
    const worker = new Worker(parseWorkerCode, { eval: true, workerData: join(dir, 'fleet-ledger.jsonl') });
    const ledgerRows = new Promise<number>((resolveRows, reject) => {
      worker.once('message', resolveRows);
      worker.once('error', reject);
    });
    const clientRows = readAndParseFile(join(dir, 'k6-samples.json'));
    return clientRows + (await ledgerRows);
  };

  const renders: number[] = [];
  const references: number[] = [];
  const twoThreadReferences: number[] = [];
  const commands: number[] = [];
  const commandOut = join(dir, 'command-out');
  let html = '';
  let dataBytes = 0;
  let ledgerReadIn = 'not known';
  for (let i = 0; i < repeats; i++) {
    // Alternated, so a machine getting busier or quieter weighs on both sides alike.
    const r0 = performance.now();
    readAndParse();
    references.push(performance.now() - r0);
    const p0 = performance.now();
    await readAndParseTwoThreads();
    twoThreadReferences.push(performance.now() - p0);
    const t0 = performance.now();
    html = renderHtmlReport(loadRunFolder(dir));
    renders.push(performance.now() - t0);
    const c0 = performance.now();
    const said: string[] = [];
    if (reportCommand({ runFolder: dir, formats: ['html'], out: commandOut, env: {}, say: (line) => said.push(line) }) !== 0) throw new Error(`spillway report failed: ${said.join('\n')}`);
    commands.push(performance.now() - c0);
  }
  {
    const run = loadRunFolder(dir);
    if (run.kind === 'run') dataBytes = Buffer.byteLength(JSON.stringify({ charts: runCharts(run) }));
    // Whether the render took the two-thread path (else the ratio says nothing of it).
    const again = loadRunFolder(dir);
    if (again.kind === 'run') ledgerReadIn = tallyRunEvidence(again, clockAt(start, seconds)).ledgerReadIn;
  }
  // At the end of `spillway run` the evidence is in memory already (its analysis read it): the
  // report rendered there need not read it again (withLoadedEvidence). Reference: JSON.stringify
  // of the same client records, one pass over the data.
  const atRunEnd: number[] = [];
  const stringifies: number[] = [];
  {
    const full = loadRunFolder(dir) as RunRunFolder;
    const loaded = { client: [...full.evidence.clientRecords()], ledger: [...full.evidence.ledgerRequests()], breakerEvents: [...full.evidence.breakerEvents()] };
    for (let i = 0; i < repeats; i++) {
      const s0 = performance.now();
      if (JSON.stringify(loaded.client).length === 0) throw new Error('nothing stringified');
      stringifies.push(performance.now() - s0);
      const t0 = performance.now();
      renderHtmlReport(withLoadedEvidence(loadRunFolder(dir) as RunRunFolder, loaded));
      atRunEnd.push(performance.now() - t0);
    }
  }
  const reportFile = join(dir, 'report.html');
  writeFileSync(reportFile, html);
  const bytes = Buffer.byteLength(html);

  let browser: { firstChartMs: number; blankMs: number; firstChartRuns: number[]; blankRuns: number[] } | { skipped: string };
  if (!existsSync(chromiumPath)) {
    browser = { skipped: `no Chromium at ${chromiumPath}` };
  } else {
    const blankFile = join(dir, 'blank.html');
    writeFileSync(blankFile, '<!doctype html><html><head><meta charset="utf-8"><title>blank</title></head><body><script>document.documentElement.dataset.readyMs = performance.now().toFixed(1)</script></body></html>');
    const userDataDir = mkdtempSync(join(tmpdir(), 'spillway-bench-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    const firstChartRuns: number[] = [];
    const blankRuns: number[] = [];
    try {
      for (let i = 0; i < repeats; i++) {
        // Both measured from the page's own navigation start (performance.now() is 0 there).
        const blank = await context.newPage();
        await blank.goto(`file://${blankFile}`);
        blankRuns.push(Number(await blank.evaluate(() => document.documentElement.dataset.readyMs)));
        await blank.close();
        const page = await context.newPage();
        await page.goto(`file://${reportFile}`, { waitUntil: 'commit' });
        await page.waitForSelector('html[data-first-chart-ms]', { timeout: 60_000 });
        firstChartRuns.push(Number(await page.evaluate(() => document.documentElement.dataset.firstChartMs)));
        await page.close();
      }
    } finally {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
    browser = { firstChartMs: median(firstChartRuns), blankMs: median(blankRuns), firstChartRuns, blankRuns };
  }

  const result = {
    date: new Date().toISOString(),
    seconds,
    rate,
    repeats,
    evidence: { clientRecords: synthetic.counts.clientRecords, ledgerRecords: synthetic.counts.ledgerRecords, bytes: evidenceBytes },
    render: { ms: median(renders), runs: renders, referenceMs: median(references), referenceRuns: references, ratio: median(renders) / median(references), twoThreadReferenceMs: median(twoThreadReferences), twoThreadReferenceRuns: twoThreadReferences, twoThreadRatio: median(renders) / median(twoThreadReferences), targetMs: targets.renderMs, ledgerReadIn },
    command: { ms: median(commands), runs: commands, ratio: median(commands) / median(references), twoThreadRatio: median(commands) / median(twoThreadReferences), overRenderRatio: median(commands) / median(renders), targetMs: targets.renderMs },
    renderAtRunEnd: { ms: median(atRunEnd), runs: atRunEnd, referenceMs: median(stringifies), referenceRuns: stringifies, ratio: median(atRunEnd) / median(stringifies), targetMs: targets.renderMs },
    size: { bytes, chartDataBytes: dataBytes, ratio: bytes / dataBytes, targetBytes: targets.bytes },
    browser: 'skipped' in browser ? browser : { ...browser, ratio: browser.firstChartMs / browser.blankMs, targetMs: targets.firstChartMs },
  };
  console.log(`render: ${result.render.ms.toFixed(0)} ms (target < ${targets.renderMs} ms; the ledger read in ${ledgerReadIn}); reference (read + JSON.parse the evidence, one thread): ${result.render.referenceMs.toFixed(0)} ms, ratio ${result.render.ratio.toFixed(2)}; in two threads as the render: ${result.render.twoThreadReferenceMs.toFixed(0)} ms, ratio ${result.render.twoThreadRatio.toFixed(2)}`);
  console.log(`spillway report --format html (the whole command): ${result.command.ms.toFixed(0)} ms; ratio ${result.command.ratio.toFixed(2)} to the one-thread reference, ${result.command.twoThreadRatio.toFixed(2)} to the two-thread one, ${result.command.overRenderRatio.toFixed(2)} to the render alone`);
  console.log(`render at the run's end, evidence in memory: ${result.renderAtRunEnd.ms.toFixed(0)} ms; reference (JSON.stringify of the client records): ${result.renderAtRunEnd.referenceMs.toFixed(0)} ms; ratio ${result.renderAtRunEnd.ratio.toFixed(2)}`);
  console.log(`size: ${(bytes / 1024).toFixed(0)} KiB (target < ${targets.bytes / 1024 / 1024} MiB); chart data alone ${(dataBytes / 1024).toFixed(0)} KiB; ratio ${result.size.ratio.toFixed(2)}`);
  if ('skipped' in browser) console.log(`first chart: skipped (${browser.skipped})`);
  else console.log(`first chart: ${browser.firstChartMs.toFixed(0)} ms (target < ${targets.firstChartMs} ms); blank page's script: ${browser.blankMs.toFixed(0)} ms; ratio ${(browser.firstChartMs / browser.blankMs).toFixed(1)}`);
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  console.log(
    `targets: render from the folder ${verdict(result.render.ms < targets.renderMs)}; spillway report --format html ${verdict(result.command.ms < targets.renderMs)}; render at the run's end ${verdict(result.renderAtRunEnd.ms < targets.renderMs)}; size ${verdict(bytes < targets.bytes)}; first chart ${'skipped' in browser ? 'not measured' : verdict(browser.firstChartMs < targets.firstChartMs)}`,
  );
  writeFileSync(join(import.meta.dirname, 'out', 'report-render.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
