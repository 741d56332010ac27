import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions } from 'esbuild';

/**
 * Bundles the HTML report's page code (client/report-client.ts, uPlot and the stylesheets)
 * into dist/report-client/report-client.{js,css}, which html.renderer.ts inlines into every
 * report: the page then needs no network, no CDN. Built as harness/k6/bundle-scenarios.ts
 * builds the k6 scenarios, with esbuild, at build time (`npm run build:report`), and again on
 * demand when the bundle is missing or older than its sources, so a fresh clone renders
 * reports without a separate step. Synchronous (esbuild's buildSync), so that rendering stays
 * a plain function.
 */

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const clientDir = join(repoRoot, 'reports', 'html', 'client');
export const reportClientOutDir = join(repoRoot, 'dist', 'report-client');

export function reportClientBuildOptions(outDir: string): BuildOptions {
  return {
    entryPoints: [{ in: join(clientDir, 'report-client.ts'), out: 'report-client' }],
    outdir: outDir,
    absWorkingDir: repoRoot,
    bundle: true,
    // One classic script inlined into the page: an IIFE, no module loading.
    format: 'iife',
    platform: 'browser',
    // Every browser a report is opened in today (and Debian's Chromium in the browser test).
    target: 'es2020',
    // The page carries the bundle inline: smaller is better, and nobody debugs it in place.
    minify: true,
    charset: 'utf8',
    legalComments: 'none',
    loader: { '.css': 'css' },
    logLevel: 'silent',
    write: true,
  };
}

/** The files the bundle is made from: a change to any of them makes it stale. */
function sourceFiles(): string[] {
  return [...readdirSync(clientDir).map((f) => join(clientDir, f)), join(repoRoot, 'reports', 'html', 'chart-spec.ts'), join(repoRoot, 'node_modules', 'uplot', 'package.json')];
}

function isStale(outDir: string): boolean {
  const outputs = ['report-client.js', 'report-client.css'].map((f) => join(outDir, f));
  if (!outputs.every((f) => existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  return sourceFiles().some((f) => existsSync(f) && statSync(f).mtimeMs > built);
}

/**
 * Builds the bundle into `outDir`. Written to a folder of its own first and moved into place,
 * so a report rendered at the same moment by another process never reads half a file.
 */
export function buildReportClient(outDir: string = reportClientOutDir): { js: string; css: string } {
  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const result = buildSync(reportClientBuildOptions(staging));
    if (result.errors.length > 0) throw new Error(`the report's page code did not build: ${result.errors.map((e) => e.text).join('; ')}`);
    mkdirSync(outDir, { recursive: true });
    for (const file of ['report-client.js', 'report-client.css']) renameSync(join(staging, file), join(outDir, file));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { js: join(outDir, 'report-client.js'), css: join(outDir, 'report-client.css') };
}

let assets: { js: string; css: string } | undefined;

/** The bundled page code and stylesheet, built first when missing or stale; read once per process. */
export function reportClientAssets(): { js: string; css: string } {
  if (assets) return assets;
  if (isStale(reportClientOutDir)) buildReportClient(reportClientOutDir);
  assets = { js: readFileSync(join(reportClientOutDir, 'report-client.js'), 'utf8'), css: readFileSync(join(reportClientOutDir, 'report-client.css'), 'utf8') };
  return assets;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { js, css } = buildReportClient();
  console.log(`built ${js} (${statSync(js).size} bytes) and ${css} (${statSync(css).size} bytes)`);
}
