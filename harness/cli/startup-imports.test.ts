import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, spillway } from './cli-test-support.ts';

/**
 * Every `spillway` command starts by importing the modules its command line reaches. A few
 * packages are needed by some targets only and cost a large share of the start-up (testcontainers
 * with dockerode and gRPC beneath it, @azure/identity with MSAL, the Kusto language service,
 * Azure Monitor's query SDKs); they are loaded at the point of use (harness/containers/
 * testcontainers-module.ts, the Log Analytics and Azure Monitor readers, mocks/log-analytics/
 * kusto-language.ts). These tests run the real CLI as a process with a module hook that records
 * every module resolved, by import or by require, and fail naming the importer when one of those
 * packages is loaded by a command that has no use for it.
 */

const loadedOnlyWhenUsed = ['testcontainers', '@testcontainers/toxiproxy', '@azure/identity', '@kusto/language-service-next', '@azure/monitor-query-logs', '@azure/monitor-query-metrics'];

/**
 * Written beside the record, given to Node through NODE_OPTIONS (so that a re-run of the CLI
 * under another Node, bin/node-runtime.js, records too). Synchronous hooks (module.registerHooks)
 * see require() as well as import, which the Kusto library needs: it is a script loaded by require.
 */
const recorderSource = `
import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
const record = process.env.SPILLWAY_TEST_MODULE_RECORD;
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    appendFileSync(record, JSON.stringify({ parent: context.parentURL ?? null, url: resolved.url }) + '\\n');
    return resolved;
  },
});
`;

interface Resolution {
  parent: string | null;
  url: string;
}

const hooksAvailable = typeof (nodeModule as { registerHooks?: unknown }).registerHooks === 'function';
if (!hooksAvailable) console.warn(`startup-imports.test.ts skipped: this Node (${process.version}) has no module.registerHooks (Node 22.15 or later) to record what a command loads`);

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-startup-imports-'));
  writeFileSync(join(dir, 'record-modules.mjs'), recorderSource);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `spillway <args>` as a process and returns its exit code and every module it resolved. */
async function modulesLoadedBy(args: string[]): Promise<{ code: number | null; stderr: string; resolved: Resolution[] }> {
  const record = join(dir, `${args.join('_').replace(/[^\w-]/g, '')}.jsonl`);
  writeFileSync(record, '');
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', `--import=${join(dir, 'record-modules.mjs')}`].join(' ').trim();
  const { code, stderr } = await exitOf(spillway(args, { NODE_OPTIONS: nodeOptions, SPILLWAY_TEST_MODULE_RECORD: record }));
  const resolved = readFileSync(record, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Resolution);
  return { code, stderr, resolved };
}

function packageOf(url: string): string | null {
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return match?.[1] ?? null;
}

/** `importer -> package` for each package of `packages` that was loaded, named by its first importer. */
function loadedAmong(resolved: readonly Resolution[], packages: readonly string[]): string[] {
  const found = new Map<string, string>();
  for (const { parent, url } of resolved) {
    const name = packageOf(url);
    if (name === null || !packages.includes(name) || found.has(name)) continue;
    found.set(name, `${parent?.replace(/^file:\/\/.*?\/(harness|mocks|reports|bin)\//, '$1/') ?? '(entry)'} -> ${name}`);
  }
  return [...found.values()];
}

/** `importer -> module` for each of Spillway's own modules (not a package's) whose path matches `pattern`, once each. */
function ownModulesLoaded(resolved: readonly Resolution[], pattern: RegExp): string[] {
  const found = new Map<string, string>();
  const shown = (url: string): string => url.replace(/^file:\/\/.*?\/(harness|mocks|reports|bin|scenarios)\//, '$1/');
  for (const { parent, url } of resolved) {
    if (!url.startsWith('file:') || url.includes('/node_modules/') || !pattern.test(url) || found.has(url)) continue;
    found.set(url, `${parent === null ? '(entry)' : shown(parent)} -> ${shown(url)}`);
  }
  return [...found.values()];
}

/**
 * `--version` and `run --help` parse the command line only. A run refused for its --k6-config
 * has imported everything `spillway run smoke` imports before it starts (the action's modules:
 * run-scenario.ts and all it reaches, the Log Analytics and Azure Monitor readers and the
 * container runners among them). `drill --list` has imported the drill's modules, the offline
 * workspace and its KQL analyzer (mocks/log-analytics/kusto-language.ts) among them, and runs
 * no query.
 */
const commands: { args: string[]; exitCode: number; stderr: RegExp }[] = [
  { args: ['--version'], exitCode: 0, stderr: /^$/ },
  { args: ['run', '--help'], exitCode: 0, stderr: /^$/ },
  { args: ['run', 'smoke', '--k6-config', 'no-such-k6.config.json'], exitCode: 2, stderr: /no-such-k6\.config\.json/ },
  { args: ['drill', '--list'], exitCode: 0, stderr: /^$/ },
];

describe.skipIf(!hooksAvailable)('what a command loads at start-up', () => {
  it.each(commands)(
    'spillway $args loads none of testcontainers, @azure/identity, the Kusto language service or the Azure Monitor SDKs',
    { timeout: 60_000 },
    async ({ args, exitCode, stderr: expectedStderr }) => {
      const { code, stderr, resolved } = await modulesLoadedBy(args);
      expect(code, stderr).toBe(exitCode);
      expect(stderr).toMatch(expectedStderr);
      // The recorder did record: the CLI's own entry point and its argument parser are there.
      expect(resolved.some(({ url }) => url.endsWith('/harness/cli/main.ts'))).toBe(true);
      expect(loadedAmong(resolved, ['commander'])).toHaveLength(1);
      expect(loadedAmong(resolved, loadedOnlyWhenUsed)).toEqual([]);
    },
  );
});

/**
 * Commands that only parse the command line load none of what an action does: not the mock
 * stack (the fleet, the gateway emulator, the front door, the offline workspace: mocks/, some
 * 125 modules, which harness/run/run-input.ts reaches), not the k8s renderer (k8s-command.ts
 * reads its options' defaults from harness/k8s/k8s-defaults.ts; importing them from
 * render-k8s.ts loaded the mock stack on every command), and not the report renderers or the
 * run folder's reader (report-command.ts loads report-command-run.ts in its action).
 */
const parseOnly = [['--version'], ['run', '--help'], ['report', '--help'], ['k8s', 'render', '--help']].map((args) => ({ args, shown: args.join(' ') }));

describe.skipIf(!hooksAvailable)('what a command that only parses its command line loads', () => {
  it.each(parseOnly)('spillway $shown loads nothing under mocks/, nor the k8s renderer, nor the report renderers', { timeout: 60_000 }, async ({ args }) => {
    const { code, stderr, resolved } = await modulesLoadedBy(args);
    expect(code, stderr).toBe(0);
    // The recorder did record Spillway's own modules: the CLI's entry and its command modules.
    expect(ownModulesLoaded(resolved, /\/harness\/cli\/(main|k8s-command|report-command)\.ts$/)).toHaveLength(3);
    expect(ownModulesLoaded(resolved, /\/mocks\//)).toEqual([]);
    expect(ownModulesLoaded(resolved, /\/harness\/k8s\/render-k8s\.ts$/)).toEqual([]);
    expect(ownModulesLoaded(resolved, /\/reports\/(render-outputs|run-folder|report-summary)\.ts$|\/harness\/cli\/report-command-run\.ts$/)).toEqual([]);
  });
});
