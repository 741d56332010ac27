import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunFolder } from '../run-folder.ts';
import { htmlReportFileName, renderHtmlReport } from './html.renderer.ts';

/**
 * The HTML report in a real browser (issue #17): a real run on the embedded default (a short
 * plan with a PTU failure, so every chart has data, and an impossible latency threshold, so
 * one verdict fails for real), its report rendered, and the page opened in Debian's headless
 * Chromium driven by playwright-core: every chart that has data is drawn on its canvas, no
 * console error, no request leaves the page (it is self-contained), the failed verdict comes
 * first. The run folder, its report and a screenshot of the page stay in
 * results/report-browser-test/ (CI publishes them).
 *
 * Skipped, saying why, when Chromium is not installed (`apt-get install chromium`; .ci/run
 * installs it).
 */

const repo = resolve(import.meta.dirname, '..', '..');
const chromiumPath = process.env.SPILLWAY_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) console.warn(`html-report.browser.test.ts: skipped: no Chromium at ${chromiumPath} (install Debian's chromium package, or set SPILLWAY_CHROMIUM to a Chromium binary)`);

/** The flags the browser runs with: headless, no sandbox (containers), and nothing that reaches the network by itself. */
const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const outputDir = join(repo, 'results', 'report-browser-test');

/**
 * The run's plan: 16 s of two consumers (one against its token limit), a PTU backend failing
 * from 4 to 10 s (its breaker opens: breaker events, a fault window, a shift of traffic), and
 * two thresholds, one that holds and one that cannot (the page must show the failing one first).
 */
const plan = {
  description: 'the HTML report browser test: a short run with a PTU failure, a threshold that holds and one that cannot',
  script: 'smoke',
  durationSeconds: 16,
  traffic: [
    { consumer: 'user-facing', ratePerUnit: 4, promptWords: { kind: 'fixed', value: 40 }, maxTokens: { kind: 'fixed', value: 80 } },
    { consumer: 'dev-test', ratePerUnit: 1, priority: 'medium', promptWords: { kind: 'fixed', value: 40 }, maxTokens: { kind: 'fixed', value: 120 } },
  ],
  timeline: [{ id: 'ptu1-fails', at: 4, for: 6, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } } }],
  thresholds: { data_received: ['count>0'], http_req_duration: ['p(95)<1'] },
  verifiers: [],
};

async function realRun(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'spillway-report-browser-'));
  const config = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { scenarios: Record<string, unknown> };
  config.scenarios = { 'report-browser': plan };
  const configFile = join(work, 'k6.config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  rmSync(outputDir, { recursive: true, force: true });
  mkdirSync(outputDir, { recursive: true });
  // Exit 1 is expected (the impossible threshold fails); anything else is a harness failure.
  const result = await promisify(execFile)(process.execPath, [join(repo, 'bin', 'spillway.js'), 'run', 'report-browser', '--k6-config', configFile, '--results', outputDir, '--quiet', '--json'], { cwd: repo, timeout: 240_000 }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
    if (error.code === 1) return { stdout: error.stdout ?? '' };
    throw new Error(`the run failed (exit ${error.code}): ${error.stderr ?? ''}${error.stdout ?? ''}`);
  });
  const line = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { journal: string; status: string };
  expect(line.status).toBe('completed');
  rmSync(work, { recursive: true, force: true });
  const runDir = readdirSync(outputDir).map((d) => join(outputDir, d)).find((d) => existsSync(join(d, 'journal.json')));
  if (!runDir) throw new Error(`no run folder in ${outputDir}`);
  return runDir;
}

describe.skipIf(!haveChromium)('the HTML report in headless Chromium', () => {
  let context: BrowserContext;
  let userDataDir: string;
  let runDir: string;

  beforeAll(async () => {
    runDir = await realRun();
    userDataDir = mkdtempSync(join(tmpdir(), 'spillway-chromium-profile-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath, headless: true, args: chromiumFlags, viewport: { width: 1280, height: 900 } });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('draws every chart with data, with no console error and no network, the failed verdict first; saves a screenshot', async () => {
    // k6 reports its thresholds in no fixed order (its summary's metrics are a Go map), so the
    // journal's verdicts are put passing-first here: the page must then reorder them itself.
    const journalFile = join(runDir, 'journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { verdicts: { status: string }[] };
    expect(journal.verdicts.map((v) => v.status).sort()).toEqual(['fail', 'pass']);
    journal.verdicts.sort((a, b) => (a.status === 'pass' ? -1 : 0) - (b.status === 'pass' ? -1 : 0));
    writeFileSync(journalFile, `${JSON.stringify(journal, null, 2)}\n`);
    const run = loadRunFolder(runDir);
    if (run.kind !== 'run') throw new Error('expected a run folder');
    expect(run.journal.verdicts.map((v) => v.status)).toEqual(['pass', 'fail']);
    const reportFile = join(runDir, htmlReportFileName);
    writeFileSync(reportFile, renderHtmlReport(run));

    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(`file://${reportFile}`);
    await page.waitForSelector('html[data-charts-done="true"]', { timeout: 30_000 });

    const figures = await page.$$eval('figure[data-chart]', (all) =>
      all.map((figure) => {
        const canvas = figure.querySelector('canvas');
        // Ink: any pixel drawn. Series ink: a coloured one (the axes, grid and fault hatching
        // are grey or black; only the series are drawn in colour), so axes alone do not count.
        let inked = 0;
        let seriesInk = 0;
        if (canvas) {
          const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3]! === 0) continue;
            inked++;
            if (Math.max(data[i]!, data[i + 1]!, data[i + 2]!) - Math.min(data[i]!, data[i + 1]!, data[i + 2]!) > 60) seriesInk++;
          }
        }
        return { name: (figure as HTMLElement).dataset.chart!, points: Number((figure as HTMLElement).dataset.points), rendered: (figure as HTMLElement).dataset.rendered === 'true', error: (figure as HTMLElement).dataset.error ?? null, inked, seriesInk };
      }),
    );
    // This run brings every kind of evidence the charts are drawn from: each chart has data.
    expect(figures.map((f) => f.name)).toEqual(['request-rate', 'latency', 'status-origin', 'backend-share', 'breakers', 'tokens']);
    for (const figure of figures) {
      expect(figure.points, `${figure.name}: data points`).toBeGreaterThan(0);
      expect(figure.error, `${figure.name}: drawing error`).toBeNull();
      expect(figure.rendered, `${figure.name}: drawn`).toBe(true);
      // Drawn means ink on the canvas: axes, series and bands, thousands of pixels.
      expect(figure.inked, `${figure.name}: inked pixels`).toBeGreaterThan(2_000);
      expect(figure.seriesInk, `${figure.name}: pixels of its series`).toBeGreaterThan(100);
    }
    expect(problems).toEqual([]);
    expect(requests, 'requests that left the page').toEqual([]);

    const verdicts = await page.$$eval('#verdicts article.verdict', (all) => all.map((a) => ({ status: (a as HTMLElement).dataset.status, text: a.querySelector('h3')!.textContent })));
    expect(verdicts.map((v) => v.status)).toEqual(['fail', 'pass']);
    expect(verdicts[0]!.text).toContain('FAIL');
    expect(verdicts[0]!.text).toContain('k6 threshold http_req_duration');
    // The verdicts come before the charts on the page.
    expect(await page.evaluate(() => document.querySelector('#verdicts')!.compareDocumentPosition(document.querySelector('#charts')!) & Node.DOCUMENT_POSITION_FOLLOWING)).toBeTruthy();

    const screenshot = join(runDir, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`html-report.browser.test.ts: report ${reportFile}, screenshot ${screenshot}`);
    expect(readFileSync(screenshot).length).toBeGreaterThan(10_000);
    await page.close();
  }, 120_000);
});
