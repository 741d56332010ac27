import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeUnstartedFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { loadK6Config } from '../run/scenario-plan.ts';
import { loadExpectationsFile } from '../verify/expectations-file.ts';
import { expectationsFromConfig } from '../verify/expectations-from-config.ts';
import type { Expectations } from '../verify/expectations.ts';
import { exitOf, runCliInProcess, spillway } from './cli-test-support.ts';

/**
 * `spillway expectations` prints what `spillway run --expectations` reads back unchanged, and
 * refuses bad input with exit 2, a message naming the flag, file or field, and nothing on
 * stdout (so `> expectations.json` never holds half a document). In-process through runCli,
 * the function bin/spillway.js runs; one case of each kind also as a child process, for the
 * exit code and the stdout a shell sees.
 */
const repo = join(import.meta.dirname, '..', '..');
const sampleDir = join(repo, 'deploy', 'apim');
const k6ConfigFile = join(repo, 'k6.config.json');

function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInProcess(['expectations', ...args]);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'expectations-command-'));
}

/** Saves what the command printed, as a user would with `> file`. */
function saved(stdout: string): string {
  const file = join(tempDir(), 'expectations.json');
  writeFileSync(file, stdout);
  return file;
}

/** A copy of the sample configuration, changed by `change(dir)`. */
function sampleCopy(change: (dir: string) => void): string {
  const dir = join(tempDir(), 'apim');
  cpSync(sampleDir, dir, { recursive: true });
  change(dir);
  return dir;
}

/**
 * A fleet file as `spillway fleet up --json` writes it: one JSON line, with the ports a started
 * fleet reports (nothing listens there: the command reads the description, never the fleet).
 */
function fleetFile(content: unknown, options: { asStarted?: boolean } = {}): string {
  const file = join(tempDir(), 'fleet.json');
  if (typeof content === 'string') {
    writeFileSync(file, content);
    return file;
  }
  const fleet = structuredClone(content) as ReturnType<typeof defaultFleet>;
  if (options.asStarted ?? true) {
    fleet.control = 'http://127.0.0.1:18000';
    fleet.backends.forEach((backend, index) => (backend.endpoint = `http://127.0.0.1:${18001 + index}`));
  }
  writeFileSync(file, `${JSON.stringify(fleet)}\n`);
  return file;
}

const defaultFleet = () => describeUnstartedFleet(loadTopologyFile(defaultTopologyPath));

function derived(options: { configDir?: string; fleet?: ReturnType<typeof defaultFleet>; k6Config?: string; deployment?: string } = {}): Expectations {
  return expectationsFromConfig({
    gatewayConfig: loadGatewayConfig(options.configDir ?? sampleDir),
    fleet: options.fleet ?? defaultFleet(),
    k6Config: loadK6Config(options.k6Config ?? k6ConfigFile),
    deployment: options.deployment ?? 'gpt-4o',
  });
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('spillway expectations', () => {
  it('prints the sample’s expectations as JSON that loadExpectationsFile reads back equal to expectationsFromConfig', async () => {
    const { code, stdout, stderr } = await inProcess([]);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    const expected = derived();
    expect(loadExpectationsFile(saved(stdout))).toEqual(expected);
    // The round trip covers every part the sample has: lanes with their own rules, the routes
    // that tell them apart, and the front door's origins.
    expect(expected.breakers['aoai-eastus-ptu1']?.entityRules).toBeDefined();
    expect(expected.entityRoutes).toBeDefined();
    expect(expected.frontDoor?.origins?.length).toBe(2);
    expect(expected.backends).toHaveLength(6);
  });

  it('reads the folder given with --config, not the sample', async () => {
    const config = sampleCopy((dir) => {
      const file = join(dir, 'backends', 'aoai-westus-payg', 'backendInformation.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"tripDuration": "PT30S"', '"tripDuration": "PT45S"'));
    });
    const { code, stdout, stderr } = await inProcess(['--config', config]);
    expect(code, stderr).toBe(0);
    const printed = loadExpectationsFile(saved(stdout));
    expect(printed.breakers['aoai-westus-payg']?.tripDurationMs).toBe(45_000);
    expect(printed).toEqual(derived({ configDir: config }));
  });

  it('draws the backends from --fleet: only those hosting the deployment are expected to serve', async () => {
    const fleet = defaultFleet();
    const westPayg = fleet.backends.find((b) => b.name === 'aoai-westus-payg')!;
    westPayg.deployments = westPayg.deployments.filter((d) => d.name !== 'gpt-4o');
    const { code, stdout, stderr } = await inProcess(['--fleet', fleetFile(fleet)]);
    expect(code, stderr).toBe(0);
    const printed = loadExpectationsFile(saved(stdout));
    expect(printed.backends.map((b) => b.name)).not.toContain('aoai-westus-payg');
    expect(printed).toEqual(derived({ fleet }));
  });

  it('draws the backends from --topology, the deployment from --deployment and the consumers from --k6-config', async () => {
    const dir = tempDir();
    const topology = join(dir, 'topology.json');
    const original = JSON.parse(readFileSync(defaultTopologyPath, 'utf8')) as { deploymentSets: Record<string, { name: string }[]> };
    original.deploymentSets['payg-deployments'] = original.deploymentSets['payg-deployments']!.filter((d) => d.name !== 'text-embedding-3-small');
    writeFileSync(topology, JSON.stringify(original));
    const k6Config = join(dir, 'k6.config.json');
    const base = JSON.parse(readFileSync(k6ConfigFile, 'utf8')) as { consumers: Record<string, unknown> };
    writeFileSync(k6Config, JSON.stringify({ consumers: { 'only-one': { priority: 'high', tokensPerMinute: 1234, keyEnv: 'SPILLWAY_KEY_ONLY', localKey: 'local-only-key' } }, scenarios: {} }));
    expect(Object.keys(base.consumers)).not.toEqual(['only-one']);

    const { code, stdout, stderr } = await inProcess(['--topology', topology, '--deployment', 'text-embedding-3-small', '--k6-config', k6Config]);
    expect(code, stderr).toBe(0);
    const printed = loadExpectationsFile(saved(stdout));
    expect(printed.backends.every((b) => b.kind === 'ptu')).toBe(true);
    expect(printed.consumers).toEqual({ 'only-one': { tokensPerMinute: 1234, priority: 'high' } });
    expect(printed).toEqual(derived({ fleet: describeUnstartedFleet(loadTopologyFile(topology)), k6Config, deployment: 'text-embedding-3-small' }));
  });

  it.each([
    ['without a front door (frontDoor null)', (_fd: { origins: { enabled?: boolean }[] } | undefined) => undefined],
    ['whose front door origins are all disabled (origins empty)', (fd: { origins: { enabled?: boolean }[] } | undefined) => (fd?.origins.forEach((o) => (o.enabled = false)), fd)],
  ])('round-trips a configuration %s', async (_name, change) => {
    const config = sampleCopy((dir) => {
      const file = join(dir, 'emulator.json');
      const emulator = JSON.parse(readFileSync(file, 'utf8')) as { frontDoor?: { origins: { enabled?: boolean }[] } };
      const frontDoor = change(emulator.frontDoor);
      if (frontDoor) emulator.frontDoor = frontDoor;
      else delete emulator.frontDoor;
      writeFileSync(file, JSON.stringify(emulator));
    });
    const { code, stdout, stderr } = await inProcess(['--config', config]);
    expect(code, stderr).toBe(0);
    const expected = derived({ configDir: config });
    expect(expected.frontDoor === null || expected.frontDoor.origins?.length === 0).toBe(true);
    expect(loadExpectationsFile(saved(stdout))).toEqual(expected);
  });

  it('prints policy elements the emulator does not run as a note on stderr, and the expectations all the same', async () => {
    const config = sampleCopy((dir) => writeFileSync(join(dir, 'policy.xml'), '<policies><inbound><cors><allowed-origins><origin>*</origin></allowed-origins></cors></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>'));
    const { code, stdout, stderr } = await inProcess(['--config', config]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`${config}: 1 policy element the emulator does not run`);
    expect(loadExpectationsFile(saved(stdout))).toEqual(derived({ configDir: config }));
  });

  it('prints the same JSON through a real process, ready for `> file`', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await exitOf(spillway(['expectations']));
    expect(code, stderr).toBe(0);
    expect(loadExpectationsFile(saved(stdout))).toEqual(derived());
  });
});

interface BadCase {
  name: string;
  args: () => string[];
  /** What stderr must say: the flag, file or field, and what is wrong. */
  says: () => (string | RegExp)[];
}

let lastPath = '';
/** Remembers a path a case makes, for its `says`. */
function remember(path: string): string {
  lastPath = path;
  return path;
}

const badCases: BadCase[] = [
  { name: 'a --config folder that does not exist', args: () => ['--config', remember(join(tempDir(), 'nowhere'))], says: () => [`--config ${lastPath}: not a folder`] },
  {
    name: 'a policy that does not parse',
    args: () => ['--config', remember(sampleCopy((dir) => writeFileSync(join(dir, 'apis', 'orders', 'policy.xml'), '<policies><inbound>')))],
    says: () => [`${join(lastPath, 'apis', 'orders', 'policy.xml')}:`],
  },
  {
    name: 'an empty policy file',
    args: () => ['--config', remember(sampleCopy((dir) => writeFileSync(join(dir, 'policy.xml'), '  ')))],
    says: () => [`${join(lastPath, 'policy.xml')}: the policy file is empty`],
  },
  {
    name: 'a backend with a bad breaker rule',
    args: () => [
      '--config',
      remember(
        sampleCopy((dir) => {
          const file = join(dir, 'backends', 'aoai-eastus-payg', 'backendInformation.json');
          writeFileSync(file, readFileSync(file, 'utf8').replace('"tripDuration": "PT30S"', '"tripDuration": "thirty seconds"'));
        }),
      ),
    ],
    says: () => [join(lastPath, 'backends', 'aoai-eastus-payg', 'backendInformation.json'), 'tripDuration'],
  },
  { name: 'a deployment no backend hosts', args: () => ['--deployment', 'gpt-5'], says: () => ['--deployment "gpt-5": no backend of the fleet', 'its deployments: gpt-4o, text-embedding-3-small'] },
  { name: 'a fleet file that is not there', args: () => ['--fleet', remember(join(tempDir(), 'fleet.json'))], says: () => [`--fleet ${lastPath}: cannot read the fleet description (ENOENT)`] },
  { name: 'a fleet file that is not JSON', args: () => ['--fleet', remember(fleetFile('fleet up\n'))], says: () => [`--fleet ${lastPath}: not JSON`] },
  {
    name: 'a fleet file describing a fleet that was never started',
    args: () => ['--fleet', remember(fleetFile(defaultFleet(), { asStarted: false }))],
    says: () => [`--fleet ${lastPath}: not a fleet description`, `${lastPath}: backends.0.endpoint: port 0`],
  },
  {
    name: 'a fleet file with a backend of an unknown kind',
    args: () => {
      const fleet = defaultFleet();
      (fleet.backends[1] as { kind: string }).kind = 'spot';
      return ['--fleet', remember(fleetFile(fleet))];
    },
    says: () => [`${lastPath}: backends.1.kind:`],
  },
  {
    name: 'a fleet without backends the configuration calls',
    args: () => {
      const fleet = defaultFleet();
      fleet.backends = fleet.backends.filter((b) => b.region === 'East US');
      return ['--fleet', remember(fleetFile(fleet))];
    },
    says: () => [`do not fit the fleet (${lastPath})`, 'breakers.aoai-westus-payg: no backend named "aoai-westus-payg" in the fleet'],
  },
  { name: 'a bad topology', args: () => ['--topology', remember(fleetFile(JSON.stringify({ resources: [] })))], says: () => [lastPath, 'resources'] },
  { name: '--fleet and --topology together', args: () => ['--fleet', fleetFile(defaultFleet()), '--topology', defaultTopologyPath], says: () => ['--fleet and --topology each say which fleet'] },
  { name: 'a k6 configuration that is not there', args: () => ['--k6-config', remember(join(tempDir(), 'k6.config.json'))], says: () => [`${lastPath}: cannot read`] },
];

describe('spillway expectations: bad input is exit 2, names what is wrong, and prints nothing on stdout', () => {
  it.each(badCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { code, stdout, stderr } = await inProcess(c.args());
    expect(code, stderr).toBe(2);
    for (const expected of c.says()) {
      if (typeof expected === 'string') expect(stderr).toContain(expected);
      else expect(stderr).toMatch(expected);
    }
    expect(stderr, 'no stack trace').not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(stdout).toBe('');
  });

  it('exits 2 with nothing on stdout as a real process too', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await exitOf(spillway(['expectations', '--deployment', 'gpt-5', '--config', sampleDir]));
    expect(code, stderr).toBe(2);
    expect(stderr).toContain('--deployment "gpt-5"');
    expect(stdout).toBe('');
  });
});
