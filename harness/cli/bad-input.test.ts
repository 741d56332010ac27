import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleExpectations } from '../verify/test-evidence.ts';
import { exitOf, runCliInProcess, spillway } from './cli-test-support.ts';

/**
 * Every kind of bad input the CLI takes: each must exit 2 (a usage error, never 1, which means
 * "the gateway deviated"), say what is wrong naming the flag, file or field, print no stack
 * trace and nothing on stdout, and leave nothing running. Every case is refused before any
 * load. Two kinds: a mistake on the command line itself (a flag, a number, a path that names
 * nothing, a plan k6.config.json cannot hold) creates nothing; a run refused for what it would
 * drive (the plan against the fleet and the target, what an expectations or fleet file says, a
 * fleet or gateway that does not answer) writes its journal, junit.xml and the other reports
 * saying why, so CI has something to read, and nothing else (docs/runs.md, "Refused before any load").
 *
 * The cases run in-process, through the same runCli that bin/spillway.js runs (a child process
 * each would cost a second or more of CPU on a shared machine). Those marked `asProcess` run as
 * `node bin/spillway.js ...`, for the exit code the shell sees, and where a regression would
 * be a synchronous hang that nothing in this process could interrupt (`--ledger /proc/...`).
 */
const repo = join(import.meta.dirname, '..', '..');
const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: Record<string, unknown> };

const calmPlan = {
  description: 'a plan for bad-input cases (never run)',
  script: 'smoke',
  durationSeconds: 20,
  traffic: [{ consumer: 'user-facing', ratePerUnit: 1 }],
  fleet: { latencyScale: 0.05 },
};

interface Case {
  name: string;
  /** Arguments; `dir` is a fresh folder for this case. */
  args: (dir: string) => string[];
  env?: Record<string, string>;
  /** What stderr must say: the flag, file or field, and what is wrong with it. */
  says: (dir: string) => (string | RegExp)[];
  /** Runs only where this holds (the reason is printed otherwise). */
  onlyIf?: { holds: boolean; reason: string };
  /** Run as a child process rather than in-process (see above). */
  asProcess?: boolean;
  /**
   * Refused with the run, not on the command line: the run folder gets journal.json, junit.xml
   * and the other reports saying why (so CI has something to read), and nothing else.
   */
  refusal?: true;
  /** Files a refusal after the target came up leaves beside the journal (the fleet it started wrote its ledger). */
  leaves?: string[];
}

/**
 * What a run refused before any load leaves in its folder: the journal, and every report
 * (reports/render-outputs.ts), so CI shows why as it shows a failed run.
 */
const refusalFiles = ['journal.json', 'junit.xml', 'report.html', 'report.md', 'report.json'];

/** A run folder in `dir` whose journal is of schema version 1, which this Spillway no longer reads. */
function oldJournalFolder(dir: string): string {
  const folder = join(dir, 'old-run');
  mkdirSync(folder);
  writeFileSync(join(folder, 'journal.json'), JSON.stringify({ schemaVersion: 1, runId: 'old', scenario: 'smoke', status: 'completed', verdicts: [] }));
  return folder;
}

/** A k6.config.json in `dir` with the sample consumers and one scenario `x` built from calmPlan. */
function planFile(dir: string, plan: Record<string, unknown>): string {
  const file = join(dir, 'k6.config.json');
  writeFileSync(file, JSON.stringify({ consumers: base.consumers, scenarios: { x: { ...calmPlan, ...plan } } }));
  return file;
}

/** `spillway run x` with a plan, and a results folder that must stay uncreated. */
const runPlan = (plan: Record<string, unknown>, ...more: string[]) => (dir: string) => ['run', 'x', '--k6-config', planFile(dir, plan), '--results', join(dir, 'results'), ...more];

function expectationsFile(dir: string, change: (e: ReturnType<typeof sampleExpectations>) => void): string {
  const expectations = sampleExpectations();
  change(expectations);
  const file = join(dir, 'expectations.json');
  writeFileSync(file, JSON.stringify(expectations));
  return file;
}

function plainFile(dir: string): string {
  const file = join(dir, 'plain-file');
  writeFileSync(file, '');
  return file;
}

const hasProc = existsSync('/proc/self');

const cases: Case[] = [
  // Usage errors commander finds.
  { name: 'run: --units 0', args: () => ['run', 'smoke', '--units', '0'], says: () => ['--units', 'must be at least 1'], asProcess: true },
  { name: 'run: --units abc', args: () => ['run', 'smoke', '--units', 'abc'], says: () => ['--units "abc" is not a number'] },
  { name: 'run: --units 31', args: () => ['run', 'smoke', '--units', '31'], says: () => ['--units "31" must be at most 30'] },
  { name: 'run: --units 1.5', args: () => ['run', 'smoke', '--units', '1.5'], says: () => ['--units "1.5" must be a whole number'] },
  { name: 'run: --seed x', args: () => ['run', 'smoke', '--seed', 'x'], says: () => ['--seed "x" is not a number'] },
  { name: 'run: an unknown option', args: () => ['run', 'smoke', '--unit', '2'], says: () => ["unknown option '--unit'"], asProcess: true },
  { name: 'run: no scenario', args: () => ['run'], says: () => ["missing required argument 'scenario'"] },
  { name: 'run: one argument too many', args: () => ['run', 'smoke', 'spillover'], says: () => ["too many arguments for 'run'"] },
  { name: 'an unknown command', args: () => ['rnu', 'smoke'], says: () => ["unknown command 'rnu'"] },
  { name: 'no command at all', args: () => [], says: () => ['Usage: spillway'] },
  { name: 'fleet: no subcommand', args: () => ['fleet'], says: () => ['Usage: spillway fleet'] },
  { name: 'fleet up: --port-base eighty', args: () => ['fleet', 'up', '--port-base', 'eighty'], says: () => ['--port-base "eighty" is not a number'] },
  { name: 'fleet up: --ledger without its value', args: () => ['fleet', 'up', '--ledger'], says: () => ["option '--ledger <file>' argument missing"] },
  { name: 'fleet up: --duration 0', args: () => ['fleet', 'up', '--duration', '0'], says: () => ['--duration "0" must be at least 0.1'] },
  { name: 'gateway up: --latency-scale -1', args: () => ['gateway', 'up', '--latency-scale', '-1'], says: () => ['--latency-scale "-1" must be at least 0'] },

  // Paths that would be written, checked before anything starts.
  {
    name: 'fleet up: --ledger under /proc (hung before)',
    args: () => ['fleet', 'up', '--json', '--ledger', '/proc/spillway-nope/x.jsonl'],
    says: () => ['--ledger /proc/spillway-nope/x.jsonl: cannot be written: nothing can be created in /proc'],
    onlyIf: { holds: hasProc, reason: 'no /proc on this system' },
    asProcess: true,
  },
  { name: 'fleet up: --ledger under a file', args: (dir) => ['fleet', 'up', '--json', '--ledger', join(plainFile(dir), 'sub', 'x.jsonl')], says: (dir) => [`--ledger ${join(dir, 'plain-file', 'sub', 'x.jsonl')}: cannot be created: ${join(dir, 'plain-file')} is a file, not a folder`] },
  { name: 'fleet up: --ledger is a folder', args: (dir) => ['fleet', 'up', '--json', '--ledger', dir], says: (dir) => [`--ledger ${dir}: is a folder, not a file`] },
  { name: 'run: --results under /dev/null (a stack trace before)', args: () => ['run', 'smoke', '--results', '/dev/null/x'], says: () => ['--results /dev/null/x: cannot be created: /dev/null is a file, not a folder'], onlyIf: { holds: existsSync('/dev/null'), reason: 'no /dev/null on this system' }, asProcess: true },
  { name: 'run: --results is a file', args: (dir) => ['run', 'smoke', '--results', plainFile(dir)], says: (dir) => [`--results ${join(dir, 'plain-file')}: is a file, not a folder`] },
  { name: 'gateway up: --logs under a file', args: (dir) => ['gateway', 'up', '--json', '--logs', join(plainFile(dir), 'logs')], says: (dir) => [`--logs ${join(dir, 'plain-file', 'logs')}: cannot be created: ${join(dir, 'plain-file')} is a file, not a folder`] },
  { name: 'gateway check: --config that does not exist', args: (dir) => ['gateway', 'check', '--config', join(dir, 'nothing')], says: (dir) => [`--config ${join(dir, 'nothing')}: not a folder`] },

  // Files and values a run reads.
  { name: 'run: an unknown scenario', args: (dir) => ['run', 'spilover', '--results', join(dir, 'results')], says: () => [/unknown scenario "spilover": .*k6\.config\.json defines smoke, spillover/] },
  { name: 'run: --k6-config that does not exist', args: (dir) => ['run', 'smoke', '--k6-config', join(dir, 'none.json'), '--results', join(dir, 'results')], says: (dir) => [`${join(dir, 'none.json')}: cannot read (ENOENT)`] },
  { name: 'run: --config that does not exist', args: (dir) => ['run', 'smoke', '--config', join(dir, 'none'), '--results', join(dir, 'results')], says: (dir) => [`--config ${join(dir, 'none')}: does not exist`] },
  { name: 'run: --config that is a file', args: (dir) => ['run', 'smoke', '--config', plainFile(dir), '--results', join(dir, 'results')], says: (dir) => [`--config ${join(dir, 'plain-file')}: not a folder`] },
  { name: 'run: --fleet without --gateway-url', args: (dir) => ['run', 'smoke', '--fleet', plainFile(dir), '--results', join(dir, 'results')], says: () => ['--fleet needs --gateway-url'] },
  { name: 'run: --fleet and --port-base together', args: (dir) => ['run', 'smoke', '--gateway-url', 'http://127.0.0.1:9', '--fleet', plainFile(dir), '--port-base', '18000', '--results', join(dir, 'results')], says: () => ['--fleet attaches to a fleet already running and --port-base starts one: give one of them'] },
  { name: 'run: --fleet that does not exist', args: (dir) => ['run', 'smoke', '--gateway-url', 'http://127.0.0.1:9', '--fleet', join(dir, 'fleet.json'), '--results', join(dir, 'results')], says: (dir) => [`--fleet ${join(dir, 'fleet.json')}: does not exist`] },
  { name: 'run: --health-path that is not a path', args: (dir) => ['run', 'smoke', '--gateway-url', 'http://127.0.0.1:9', '--port-base', '18000', '--health-path', 'healthz', '--results', join(dir, 'results')], says: () => ['--health-path must be a path starting with "/", or "none", got "healthz"'] },
  { name: 'run: --gateway-url that is not a URL', args: (dir) => ['run', 'smoke', '--gateway-url', 'nope', '--results', join(dir, 'results')], says: () => ['--gateway-url "nope" is not a URL'] },
  { name: 'run: --gateway-url with credentials in it', args: (dir) => ['run', 'smoke', '--gateway-url', 'http://user:secret@127.0.0.1:9', '--port-base', '18000', '--results', join(dir, 'results')], says: () => ['--gateway-url must not carry credentials'] },
  { name: 'run: --gateway-url with a query', args: (dir) => ['run', 'smoke', '--gateway-url', 'http://127.0.0.1:9/?x=1', '--port-base', '18000', '--results', join(dir, 'results')], says: () => ['--gateway-url must be the gateway\'s base URL, without a query or fragment, got "?x=1"'] },
  { name: 'run: load toward another host without naming it', args: (dir) => ['run', 'smoke', '--gateway-url', 'https://apim.example.net', '--port-base', '18000', '--results', join(dir, 'results')], says: () => ['--gateway-url apim.example.net is not this machine: load toward another host needs --allow-remote apim.example.net (the host, named) and --max-rate <requests/s>'] },
  { name: 'run: --allow-remote naming another host', args: (dir) => ['run', 'smoke', '--gateway-url', 'https://apim.example.net', '--allow-remote', 'apim.example.org', '--max-rate', '100', '--port-base', '18000', '--results', join(dir, 'results')], says: () => ['--allow-remote apim.example.org does not name the host of --gateway-url (apim.example.net)'] },
  { name: 'run: a plan faster than --max-rate', args: (dir) => ['run', 'smoke', '--units', '3', '--gateway-url', 'https://apim.example.net', '--allow-remote', 'apim.example.net', '--max-rate', '5', '--port-base', '18000', '--results', join(dir, 'results')], says: () => ['--max-rate 5: scenario "smoke" sends', 'requests/s at 3 unit(s), more than the cap'] },
  { name: 'run: --target with --gateway-url', args: (dir) => ['run', 'smoke', '--target', plainFile(dir), '--gateway-url', 'http://127.0.0.1:9', '--results', join(dir, 'results')], says: () => ['--gateway-url and --target both say what the run drives'] },
  { refusal: true, name: 'run: a target file with wrong fields', args: (dir) => runPlan({}, '--target', targetFile(dir, { workspaceId: 'my-workspace', keys: { 'user-facing': 'sk-live-123' } }))(dir), says: (dir) => [`${join(dir, 'target.json')}: workspaceId: must be the workspace id, a GUID`, `${join(dir, 'target.json')}: keys.user-facing: must be an environment variable name`] },
  { refusal: true, name: 'run: a target file whose fleet does not answer', args: (dir) => runPlan({}, '--target', targetFile(dir, {}))(dir), env: { SPILLWAY_KEY_USER_FACING: 'k' }, says: (dir) => [`${join(dir, 'target.json')}: fleet.control http://127.0.0.1:9`] },
  { refusal: true, name: 'run: a target file toward another host without --allow-remote', args: (dir) => runPlan({}, '--target', targetFile(dir, { gateways: [{ region: 'East US', url: 'https://apim.example.net' }] }))(dir), says: () => ['apim.example.net is not this machine: load toward another host needs --allow-remote apim.example.net'] },
  { name: 'run: --gateway-url with no fleet behind it', args: runPlan({}, '--gateway-url', 'http://127.0.0.1:9'), env: { SPILLWAY_KEY_USER_FACING: 'k' }, says: () => ['--gateway-url needs the fleet behind the gateway: --fleet <file> attaches to one started with `spillway fleet up --json`, --port-base <n> starts one'] },
  { refusal: true, name: 'run: --fleet that is not a fleet description', args: (dir) => runPlan({}, '--gateway-url', 'http://127.0.0.1:9', '--fleet', plainFile(dir))(dir), env: { SPILLWAY_KEY_USER_FACING: 'k' }, says: (dir) => [join(dir, 'plain-file')] },
  { refusal: true, name: 'run: a fleet file whose listeners are gone', args: (dir) => runPlan({}, '--gateway-url', 'http://127.0.0.1:9', '--fleet', goneFleet(dir))(dir), env: { SPILLWAY_KEY_USER_FACING: 'k' }, says: () => ['http://127.0.0.1:9', 'spillway fleet up'] },
  { refusal: true, name: 'run: a region-down step that takes only the gateway down, against a gateway at a URL', args: (dir) => runPlan({ timeline: [{ id: 'down', at: 5, kind: 'region-down', region: 'East US', backends: false }] }, '--gateway-url', 'http://127.0.0.1:9', '--port-base', '18960', '--expectations', expectationsFile(dir, () => undefined))(dir), env: { SPILLWAY_KEY_USER_FACING: 'k' }, says: () => ['scenarios.x.timeline.down.backends: false takes only the gateway down'] },
  { refusal: true, name: 'run: a gateway at a URL with verifiers and no expectations', args: runPlan({ verifiers: ['spillover'] }, '--gateway-url', 'http://127.0.0.1:9', '--port-base', '18960'), env: { SPILLWAY_KEY_USER_FACING: 'k' }, says: () => ['which judge a gateway at a URL against expectations you give'] },
  { refusal: true, name: 'run: a gateway URL that does not answer', args: runPlan({}, '--gateway-url', 'http://127.0.0.1:9', '--port-base', '18960', '--health-path', '/healthz'), env: { SPILLWAY_KEY_USER_FACING: 'k' }, leaves: ['fleet-ledger.jsonl'], says: () => ['the gateway at http://127.0.0.1:9 does not answer its health check GET /healthz'] },
  { refusal: true, name: 'run: --gateway-url without keys', args: runPlan({}, '--gateway-url', 'http://127.0.0.1:9', '--port-base', '18960'), env: { SPILLWAY_KEY_USER_FACING: '' }, says: () => ['set SPILLWAY_KEY_USER_FACING'] },
  { name: 'run: a traffic class of an unknown consumer', args: runPlan({ traffic: [{ consumer: 'nobody', ratePerUnit: 1 }] }), says: (dir) => [`${join(dir, 'k6.config.json')}: scenarios.x.traffic.0.consumer: "nobody" is not a consumer class`] },
  { name: 'run: a traffic class starting after the run ends', args: runPlan({ traffic: [{ consumer: 'user-facing', ratePerUnit: 1, startSeconds: 30 }] }), says: (dir) => [`${join(dir, 'k6.config.json')}: scenarios.x.traffic.0.startSeconds: 30 s is not before the scenario ends (20 s)`] },
  { name: 'run: a traffic class ending before it starts', args: runPlan({ traffic: [{ consumer: 'user-facing', ratePerUnit: 1, startSeconds: 10, endSeconds: 5 }] }), says: () => ['scenarios.x.traffic.0.endSeconds: 5 s is not after the class starts (startSeconds 10 s)'] },
  { name: 'run: a traffic class ending after the run', args: runPlan({ traffic: [{ consumer: 'user-facing', ratePerUnit: 1, endSeconds: 25 }] }), says: () => ['scenarios.x.traffic.0.endSeconds: after the scenario ends (20 s)'] },
  { refusal: true, name: 'run: a rate no VU cap can carry', args: runPlan({ traffic: [{ consumer: 'user-facing', ratePerUnit: 1e9 }] }), says: () => ['scenarios.x.traffic.0.ratePerUnit: 1000000000 requests/s per unit × 1 unit = 1000000000 requests/s for "user-facing"', 'at most 300 VUs', 'carry 300000 requests/s'] },
  { refusal: true, name: 'run: a rate the caps carry per unit but not times --units', args: runPlan({ traffic: [{ consumer: 'user-facing', ratePerUnit: 20_000 }] }, '--units', '30'), says: () => ['scenarios.x.traffic.0.ratePerUnit: 20000 requests/s per unit × 30 units = 600000 requests/s'] },
  { refusal: true, name: 'run: a timeline step at a backend the fleet does not have', args: runPlan({ timeline: [{ id: 's1', at: 5, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu9' } } }] }), says: (dir) => [`${join(dir, 'k6.config.json')}: scenarios.x.timeline.s1.fault.target.backend: no backend named "aoai-eastus-ptu9" (the fleet has aoai-eastus-ptu1,`] },
  { refusal: true, name: 'run: a timeline step at a region the fleet does not have', args: runPlan({ timeline: [{ id: 's1', at: 5, kind: 'fleet-fault', fault: { kind: 'hang', target: { region: 'North Pole' } } }] }), says: () => ['scenarios.x.timeline.s1.fault.target.region: no backend in region "North Pole" (the fleet\'s regions: East US, West US)'] },
  { refusal: true, name: 'run: a timeline step at a deployment the fleet does not have', args: runPlan({ timeline: [{ id: 's1', at: 5, kind: 'fleet-fault', fault: { kind: 'latency', latencyMs: 10, target: { region: 'East US', deployment: 'gpt-5' } } }] }), says: () => ['scenarios.x.timeline.s1.fault.target.deployment: no targeted backend hosts a deployment named "gpt-5"'] },
  { refusal: true, name: 'run: a timeline step the fleet would refuse (refuse at a rate)', args: runPlan({ timeline: [{ id: 's1', at: 5, kind: 'fleet-fault', fault: { kind: 'refuse', rate: 0.5, target: { backend: 'aoai-eastus-ptu1' } } }] }), says: () => ['scenarios.x.timeline.s1.fault.rate: a refused listener refuses every connection: rate must be 1'] },
  { refusal: true, name: 'run: a process step on a regional gateway that does not exist', args: runPlan({ timeline: [{ id: 'kill-np', at: 5, kind: 'process', action: 'kill', process: { of: 'gateway', region: 'North Pole' } }] }), says: () => ['scenarios.x.timeline.kill-np.process.region: the gateway configuration has no region "North Pole" (its regions: East US, West US)'] },
  { refusal: true, name: 'run: a process step on a backend that does not exist', args: runPlan({ timeline: [{ id: 'kill-b', at: 5, kind: 'process', action: 'pause', process: { of: 'backend', backend: 'aoai-eastus-ptu9' } }] }), says: () => ['scenarios.x.timeline.kill-b.process.backend: no backend named "aoai-eastus-ptu9" (the fleet has aoai-eastus-ptu1,'] },
  { refusal: true, name: 'run: a region going down that the gateway does not have', args: runPlan({ timeline: [{ id: 'down', at: 5, kind: 'region-down', region: 'North Pole', backends: false }] }), says: () => ['scenarios.x.timeline.down.region: the gateway configuration has no region "North Pole" (its regions: East US, West US)'] },
  { name: 'run: two timeline steps with one id', args: runPlan({ timeline: [{ id: 's1', at: 5, kind: 'fleet-fault', fault: { kind: 'hang', target: { backend: 'aoai-eastus-ptu1' } } }, { id: 's1', at: 6, kind: 'fleet-fault', fault: { kind: 'hang', target: { backend: 'aoai-eastus-ptu2' } } }] }), says: () => ['scenarios.x.timeline.s1.id: another step has this id'] },
  { name: 'run: a network toxic with a negative latency', args: runPlan({ timeline: [{ id: 'lag', at: 5, kind: 'network', link: { to: 'backend', backend: 'aoai-eastus-ptu1' }, toxic: { type: 'latency', latencyMs: -5 } }] }), says: (dir) => [`${join(dir, 'k6.config.json')}: scenarios.x.timeline.0.toxic.latencyMs: Too small: expected number to be >=0`] },
  { refusal: true, name: 'run: a network step on a backend the fleet does not have', args: runPlan({ timeline: [{ id: 'lag', at: 5, kind: 'network', link: { to: 'backend', backend: 'aoai-eastus-ptu9' }, toxic: { type: 'latency', latencyMs: 100 } }] }), says: (dir) => [`${join(dir, 'k6.config.json')}: scenarios.x.timeline.lag.link.backend: no backend named "aoai-eastus-ptu9" (the fleet has aoai-eastus-ptu1,`] },
  { refusal: true, name: 'run: a network step on a gateway the front door does not reach', args: runPlan({ entry: 'primary-region', timeline: [{ id: 'cut', at: 5, kind: 'network', link: { to: 'gateway', region: 'West US' }, toxic: { type: 'down' } }] }), says: () => ['scenarios.x.timeline.cut.link.region: nothing reaches the gateway of "West US" over a link Toxiproxy can sit on: k6 enters at the primary region, East US'] },
  { refusal: true, name: 'run: a network step against a gateway at a URL', args: (dir) => runPlan({ timeline: [{ id: 'lag', at: 5, kind: 'network', link: { to: 'backend', backend: 'aoai-eastus-ptu1' }, toxic: { type: 'latency', latencyMs: 100 } }] }, '--gateway-url', 'http://127.0.0.1:9', '--port-base', '18960', '--expectations', expectationsFile(dir, () => undefined))(dir), env: { SPILLWAY_KEY_USER_FACING: 'k' }, says: () => ['scenarios.x.timeline.lag: a network step puts Toxiproxy on the links', 'a gateway at a URL is somebody else'] },
  { name: 'run: a timeline step after the run ends', args: runPlan({ timeline: [{ id: 's1', at: 20, kind: 'fleet-fault', fault: { kind: 'hang', target: { backend: 'aoai-eastus-ptu1' } } }] }), says: () => ['scenarios.x.timeline.s1.at: 20 s is not before the scenario ends (20 s)'] },
  { refusal: true, name: 'run: a capacity override for a deployment the fleet does not have', args: runPlan({ fleet: { capacityTpm: { 'ptu:gpt-5': 9000 } } }), says: () => ['scenarios.x.fleet.capacityTpm.ptu:gpt-5: no ptu resource of the fleet hosts a deployment named "gpt-5" (they host gpt-4o, text-embedding-3-small)'] },
  { refusal: true, name: 'run: a capacity override key of no kind', args: runPlan({ fleet: { capacityTpm: { 'gpt-4o': 9000 } } }), says: () => ['scenarios.x.fleet.capacityTpm.gpt-4o: a key must be "<ptu|payg>:<deployment>"'] },
  { name: 'run: an expectations file that does not exist', args: runPlan({}, '--expectations', '/nonexistent/expectations.json'), says: () => ['--expectations /nonexistent/expectations.json: does not exist'] },
  {
    refusal: true,
    name: 'run: an expectations file with a bad value',
    args: (dir) => runPlan({}, '--expectations', expectationsFile(dir, (e) => (e.consumers['user-facing']!.tokensPerMinute = -5)))(dir),
    says: (dir) => [`${join(dir, 'expectations.json')}: consumers.user-facing.tokensPerMinute:`],
  },
  {
    refusal: true,
    name: 'run: an expectations file naming a backend the fleet does not have',
    args: (dir) => runPlan({}, '--expectations', expectationsFile(dir, (e) => (e.backends[0]!.name = 'aoai-eastus-ptu9')))(dir),
    says: (dir) => [`${join(dir, 'expectations.json')}: backends.0.name: no backend named "aoai-eastus-ptu9" in the fleet (it has aoai-eastus-ptu1,`],
  },
  {
    refusal: true,
    name: 'run: an expectations file with a breaker for a backend the fleet does not have',
    args: (dir) =>
      runPlan({}, '--expectations', expectationsFile(dir, (e) => (e.breakers['aoai-centralus-ptu1'] = { count: 1, intervalMs: 1000, tripDurationMs: 1000, acceptRetryAfter: false })))(dir),
    says: (dir) => [`${join(dir, 'expectations.json')}: breakers.aoai-centralus-ptu1: no backend named "aoai-centralus-ptu1" in the fleet`],
  },
  {
    refusal: true,
    name: 'run: an expectations file with a backend in the wrong region',
    args: (dir) => runPlan({}, '--expectations', expectationsFile(dir, (e) => (e.backends[0]!.region = 'West US')))(dir),
    says: (dir) => [`${join(dir, 'expectations.json')}: backends.0.region: "West US", but the fleet's aoai-eastus-ptu1 is in East US`],
  },
  {
    refusal: true,
    name: 'run: an expectations file with a region the gateway does not have',
    args: (dir) => runPlan({}, '--expectations', expectationsFile(dir, (e) => (e.regions = ['East US', 'Mars'])))(dir),
    says: (dir) => [`${join(dir, 'expectations.json')}: regions.1: no region "Mars" in the gateway configuration`],
  },
  {
    refusal: true,
    name: 'run: an expectations file with a consumer class k6.config.json does not define',
    args: (dir) => runPlan({}, '--expectations', expectationsFile(dir, (e) => (e.consumers.nobody = { tokensPerMinute: 10, priority: 'low' })))(dir),
    says: (dir) => [`${join(dir, 'expectations.json')}: consumers.nobody: no consumer class "nobody" in the k6 configuration`],
  },

  {
    refusal: true,
    name: "run: an expectations file giving a backend's capacity (a fact of the fleet)",
    args: (dir) => runPlan({}, '--expectations', expectationsFile(dir, (e) => Object.assign(e.backends[0]!, { capacityTpm: 9000 })))(dir),
    says: (dir) => [`${join(dir, 'expectations.json')}: backends.0.capacityTpm: a backend's capacity is a fact of the fleet`],
  },
  {
    name: 'run: --expectations and --expectations-config together',
    args: (dir) => runPlan({}, '--expectations', expectationsFile(dir, () => undefined), '--expectations-config', join(repo, 'deploy', 'apim'))(dir),
    says: () => ['--expectations and --expectations-config each say where the expectations come from; give one of them'],
  },
  {
    name: 'run: an --expectations-config folder that does not exist',
    args: (dir) => runPlan({}, '--expectations-config', join(dir, 'approved'))(dir),
    says: (dir) => [`--expectations-config ${join(dir, 'approved')}: does not exist`],
  },

  // spillway capacity: refused before anything starts, nothing created (not even the run folder).
  { name: 'capacity: a peak without units', args: (dir) => capacity(dir, '--peak-rps', '1000'), says: () => ['--peak-rps needs --units'] },
  { name: 'capacity: a headroom outside 0-1', args: (dir) => capacity(dir, '--headroom', '1.5'), says: () => ['--headroom must be from 0 up to (not including) 1'] },
  { name: 'capacity: an absurd rate', args: (dir) => capacity(dir, '--max-rps', '1000000'), says: () => ['--max-rps 1000000 is more than one machine'] },
  { name: 'capacity: a negative rate', args: (dir) => capacity(dir, '--start-rps', '-5'), says: () => ['--start-rps'] },
  { name: 'capacity: an unknown profile', args: (dir) => capacity(dir, '--profile', 'medium'), says: () => ['--profile must be light or heavy'] },
  { name: 'capacity: more load generators than cores, without the flag', args: (dir) => capacity(dir, '--load-generators', String(availableParallelism() + 1)), says: () => [`--load-generators ${availableParallelism() + 1}: more load generators than this machine's ${availableParallelism()} core`] },
  { name: "capacity: a configuration folder without the profile's API", args: (dir) => capacity(dir, '--profile', 'heavy', '--config', withoutHeavyProfile(dir)), says: (dir) => [`${join(dir, 'apim')}: the heavy capacity profile needs the API folder apis/capacity-heavy/`] },
  { name: 'capacity: a remote gateway without --allow-remote and --max-rate', args: (dir) => capacity(dir, '--gateway-url', 'https://apim.example.net', '--port-base', '18500'), env: { SPILLWAY_KEY_CAPACITY_TEST: 'k' }, says: () => ['--gateway-url apim.example.net is not this machine'] },
  { name: 'capacity: --config with --gateway-url', args: (dir) => capacity(dir, '--gateway-url', 'http://127.0.0.1:9', '--port-base', '18500', '--config', join(repo, 'deploy', 'apim')), says: () => ['--config is the APIOps folder of the embedded gateway'] },

  // Refused before the fleet starts.
  { name: 'fleet up: a bad topology', args: (dir) => ['fleet', 'up', '--json', '--topology', badTopology(dir), '--ledger', join(dir, 'results', 'ledger.jsonl')], says: (dir) => [`${join(dir, 'topology.json')}: resources[0].deployments[0].capacityTpm:`] },
  { name: 'fleet up: the control API beyond loopback without a token', args: (dir) => ['fleet', 'up', '--json', '--control-host', '0.0.0.0', '--ledger', join(dir, 'results', 'ledger.jsonl')], env: { SPILLWAY_CONTROL_TOKEN: '' }, says: () => ['the control API would listen on 0.0.0.0, beyond loopback, without a token: set SPILLWAY_CONTROL_TOKEN'] },
  { name: 'gateway up: --fleet that is not a fleet description', args: (dir) => ['gateway', 'up', '--json', '--fleet', plainFile(dir), '--logs', join(dir, 'results')], says: (dir) => [`${join(dir, 'plain-file')}: empty; save the line \`spillway fleet up --json\` prints to it`] },
  // spillway report (docs/report-command.md): refused before anything is written.
  { name: 'report: a folder that is not a run', args: (dir) => ['report', dir], says: (dir) => [`${dir}: not a run folder: it holds none of journal.json, capacity-journal.json, drill-journal.json`] },
  { name: 'report: a journal of an older schema version', args: (dir) => ['report', oldJournalFolder(dir)], says: (dir) => [`${join(dir, 'old-run', 'journal.json')}: schemaVersion 1; this Spillway renders run journals of schema version 2 only`] },
  { name: 'report: an unknown format', args: (dir) => ['report', dir, '--format', 'html,pdf'], says: () => ['--format html,pdf: "pdf" is not a format; the formats are html, md, junit, json'] },
  { name: 'report: --max-regression without --baseline', args: (dir) => ['report', oldJournalFolder(dir), '--max-regression', '10'], says: () => ['--max-regression needs --baseline <run-folder>'] },
];

function capacity(dir: string, ...args: string[]): string[] {
  return ['capacity', '--results', join(dir, 'results'), ...args];
}

/** A copy of the sample configuration without the heavy capacity profile's API. */
function withoutHeavyProfile(dir: string): string {
  const copy = join(dir, 'apim');
  cpSync(join(repo, 'deploy', 'apim'), copy, { recursive: true });
  rmSync(join(copy, 'apis', 'capacity-heavy'), { recursive: true });
  return copy;
}

/** A target file in `dir` (a real APIM's), with `change` applied over a loopback one whose fleet is gone. */
function targetFile(dir: string, change: Record<string, unknown>): string {
  const file = join(dir, 'target.json');
  writeFileSync(file, JSON.stringify({ kind: 'apim', gateways: [{ region: 'East US', url: 'http://127.0.0.1:9' }], workspaceId: '4b6b1c7e-9f2a-4f3e-8a1d-2c3b4d5e6f70', fleet: { control: 'http://127.0.0.1:9' }, ...change }));
  return file;
}

/** A fleet description whose listeners are gone (nothing listens on the discard port). */
function goneFleet(dir: string): string {
  const file = join(dir, 'fleet.json');
  const backend = (name: string, kind: 'ptu' | 'payg') => ({ name, region: 'East US', kind, endpoint: 'http://127.0.0.1:9', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 9000 }] });
  writeFileSync(file, JSON.stringify({ backends: [backend('aoai-eastus-ptu1', 'ptu'), backend('aoai-eastus-payg1', 'payg')], control: 'http://127.0.0.1:9', ledger: null }));
  return file;
}

function badTopology(dir: string): string {
  const file = join(dir, 'topology.json');
  writeFileSync(file, JSON.stringify({ resources: [{ name: 'aoai-x', region: 'East US', kind: 'ptu', port: 0, deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: -5 }] }] }));
  return file;
}

for (const c of cases) if (c.onlyIf && !c.onlyIf.holds) process.stdout.write(`bad-input.test.ts: "${c.name}" skipped: ${c.onlyIf.reason}\n`);

const inProcess = runCliInProcess;

async function asProcess(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spillway(args, env);
  // A hang is a failure: kill the child after 60 s and let the exit code say so.
  const bound = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    return await exitOf(child);
  } finally {
    clearTimeout(bound);
  }
}

describe('bad input: exit 2, a message naming what is wrong, nothing started; nothing created, or (refused with the run) only its journal and reports', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it.each(cases.filter((c) => !c.onlyIf || c.onlyIf.holds).map((c) => [c.name, c] as const))('%s', { timeout: 90_000 }, async (_name, c) => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
    const args = c.args(dir);
    const before = new Set(readdirSync(dir));
    const saved = { ...process.env };
    let result: { code: number | null; stdout: string; stderr: string };
    if (c.asProcess) {
      result = await asProcess(args, c.env);
    } else {
      Object.assign(process.env, c.env ?? {});
      try {
        result = await inProcess(args);
      } finally {
        for (const name of Object.keys(c.env ?? {})) {
          if (saved[name] === undefined) delete process.env[name];
          else process.env[name] = saved[name];
        }
      }
    }
    const { code, stdout, stderr } = result;
    expect(code, `${args.join(' ')}\n${stderr}`).toBe(2);
    for (const expected of c.says(dir)) {
      if (typeof expected === 'string') expect(stderr).toContain(expected);
      else expect(stderr).toMatch(expected);
    }
    expect(stderr, 'no stack trace').not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    // A refusal after the target came up (a gateway that does not answer) has printed its progress.
    if (c.refusal) expect(stdout, 'no JSON line, no verdicts').not.toMatch(/^\{|PASS|FAIL/m);
    else expect(stdout, 'nothing on stdout: no JSON line, no "ready"').toBe('');
    const made = readdirSync(dir).filter((entry) => !before.has(entry));
    if (!c.refusal) {
      // Nothing created: the folder holds only what the case itself put there.
      expect(made, 'files or folders the command created').toEqual([]);
      return;
    }
    // Refused with the run: its folder holds the journal, junit.xml and the other reports saying why, nothing else.
    expect(made).toEqual(['results']);
    const [runId, ...others] = readdirSync(join(dir, 'results'));
    expect(others).toEqual([]);
    expect(readdirSync(join(dir, 'results', runId!)).sort()).toEqual([...refusalFiles, ...(c.leaves ?? [])].sort());
    // The Markdown (a pull request comment, the step summary) says why first.
    expect(readFileSync(join(dir, 'results', runId!, 'report.md'), 'utf8').split('\n')[2]).toMatch(/^> \*\*The run did not complete \(incomplete\):\*\* /);
    const journal = JSON.parse(readFileSync(join(dir, 'results', runId!, 'journal.json'), 'utf8')) as { status: string; exitCode: number; problem: string; k6: { startedAt: string | null } };
    expect(journal).toMatchObject({ status: 'incomplete', exitCode: 2, k6: { startedAt: null } });
    for (const expected of c.says(dir)) {
      if (typeof expected === 'string') expect(journal.problem).toContain(expected);
      else expect(journal.problem).toMatch(expected);
    }
    expect(readFileSync(join(dir, 'results', runId!, 'junit.xml'), 'utf8')).toContain('failure');
  });
});
