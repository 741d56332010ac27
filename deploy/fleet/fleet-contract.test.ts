import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../harness/cli/cli.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { containerVariables, defaultContainerPort, defaultTopologyFile, publicUrlVariable, tokenVariable, topologyJsonVariable } from './container-config.ts';
import { fleetUpArguments } from './fleet-container.ts';
import { publicBackendEndpoint, routeOf } from './fleet-front.ts';

/**
 * The Dockerfile, fleet.bicep and the sample APIOps backends, held to the fleet's contract by
 * reading them as text (no Docker or Bicep compiler needed): the port, the environment
 * variables the container reads, the token kept as a secret, the command line the container
 * gives `spillway`, the folders the CLI imports, and backends that point where the front routes.
 * A change on one side that is not made on the other fails here instead of in Azure.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));
const dockerfile = readFileSync(join(here, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(here, 'Dockerfile.dockerignore'), 'utf8');
const bicep = readFileSync(join(here, 'fleet.bicep'), 'utf8');

/** Dockerfile instructions, comments dropped and continuation lines joined. */
function instructions(text: string): { keyword: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of the image's last stage (what runs). */
function finalStage(text: string): { keyword: string; args: string }[] {
  const all = instructions(text);
  const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

/** Every repository file reached from `entries` through relative static imports, re-exports, literal dynamic imports and `new URL('<relative>', import.meta.url)`. */
function importClosure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!/\.(ts|js|mjs)$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g), ...text.matchAll(/new URL\(\s*'(\.{1,2}\/[^']+)',\s*import\.meta\.url\s*\)/g)].map((m) => m[1]!);
    for (const specifier of specifiers) {
      const target = resolve(dirname(file), specifier);
      if (!existsSync(target)) throw new Error(`${relative(root, file)} refers to ${specifier}, which does not exist`);
      // A folder (a root found relative to the module) is not a file to copy.
      if (statSync(target).isFile()) pending.push(target);
    }
  }
  return seen;
}

describe('deploy/fleet/Dockerfile', () => {
  const stage = finalStage(dockerfile);
  const copied = stage.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from')).map((i) => i.args.split(/\s+/)[0]!.replace(/\/$/, ''));

  it('builds on the official Node image, pinned to a release of a Node the project supports, in every stage', () => {
    const pin = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/m.exec(dockerfile);
    expect(pin, 'ARG NODE_IMAGE=node:<major>.<minor>.<patch>-bookworm-slim').not.toBeNull();
    const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const [minMajor, minMinor] = /^>=(\d+)\.(\d+)/.exec(engines)!.slice(1).map(Number) as [number, number];
    const [major, minor] = [Number(pin![1]), Number(pin![2])];
    expect(major > minMajor || (major === minMajor && minor >= minMinor), `node ${major}.${minor} satisfies engines ${engines}`).toBe(true);
    const froms = instructions(dockerfile).filter((i) => i.keyword === 'FROM');
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from.args).toMatch(/^\$\{NODE_IMAGE\}( AS \S+)?$/);
  });

  it('installs exactly the locked dependencies with the patches applied, then drops the devDependencies', () => {
    const run = instructions(dockerfile).find((i) => i.keyword === 'RUN' && i.args.includes('npm'))!;
    expect(run.args).toMatch(/^npm ci\b.*&& npm prune --omit=dev\b/);
    expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json \.\/$/m);
    expect(dockerfile).toMatch(/^COPY patches \.\/patches$/m);
  });

  it('exposes the port the container listens on by default, and runs the container entry as the node user', () => {
    expect(stage.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args)).toEqual([String(defaultContainerPort)]);
    expect(stage.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['node']);
    const cmd = JSON.parse(stage.find((i) => i.keyword === 'CMD')!.args) as string[];
    expect(cmd).toEqual(['node', '/app/deploy/fleet/container-main.ts']);
    expect(existsSync(join(root, cmd[1]!.replace(/^\/app\//, '')))).toBe(true);
  });

  it('copies every file the CLI and the container entry load at start, and its ignore file keeps them in the build context', () => {
    const reached = importClosure([join(root, 'bin/spillway.js'), join(here, 'container-main.ts'), defaultTopologyFile]);
    const outside = [...reached].map((file) => relative(root, file)).filter((file) => !copied.some((source) => file === source || file.startsWith(`${source}/`)));
    expect(outside).toEqual([]);
    const ignoredTests = [...reached].map((file) => relative(root, file)).filter((file) => file.endsWith('.test.ts'));
    expect(ignoredTests).toEqual([]);
    for (const source of copied) expect(dockerignore.split('\n').map((l) => l.trim()), `Dockerfile.dockerignore re-includes ${source}`).toContain(existsSync(join(root, source)) && statSync(join(root, source)).isDirectory() ? `!${source}/**` : `!${source}`);
  });

  it('gives `spillway fleet up` only flags it has', () => {
    const program = buildProgram({ writeOut: () => undefined, writeErr: () => undefined });
    const up = program.commands.find((c) => c.name() === 'fleet')!.commands.find((c) => c.name() === 'up')!;
    const known = new Set(up.options.map((o) => o.long));
    const given = fleetUpArguments('/app/topology.json').filter((arg) => arg.startsWith('--'));
    expect(given.length).toBeGreaterThan(0);
    expect(given.filter((flag) => !known.has(flag))).toEqual([]);
  });
});

describe('deploy/fleet/fleet.bicep', () => {
  /** The container's env entries: { name, secretRef? , value? }, from the one-line objects the module writes. */
  const envEntries = [...bicep.matchAll(/\{\s*name:\s*'([A-Z0-9_]+)',?\s*(secretRef|value):\s*('(?:[^'\\]|\\.)*'|[\w.()]+)\s*\}/g)].map((m) => ({ name: m[1]!, kind: m[2]! as 'secretRef' | 'value', expression: m[3]! }));
  const secureParams = [...bicep.matchAll(/@secure\(\)\s*(?:@\w+\([^)]*\)\s*)*param\s+(\w+)/g)].map((m) => m[1]!);
  const secrets = [...bicep.matchAll(/\{\s*name:\s*'([a-z0-9-]+)',\s*value:\s*('(?:[^'\\]|\\.)*'|[\w.()]+)\s*\}/g)].map((m) => ({ name: m[1]!, value: m[2]! }));

  it('routes ingress to the port the image exposes, over HTTPS', () => {
    expect([...bicep.matchAll(/targetPort:\s*(\d+)/g)].map((m) => Number(m[1]))).toEqual([defaultContainerPort]);
    expect(bicep).toMatch(/external:\s*true/);
    expect(bicep).toMatch(/allowInsecure:\s*false/);
  });

  it('runs the image it is given, one replica only (the ledger is in the replica\'s memory)', () => {
    expect(bicep).toMatch(/^param image string$/m);
    expect(bicep).toMatch(/^\s*image:\s*image$/m);
    expect(bicep).toMatch(/minReplicas:\s*1\b/);
    expect(bicep).toMatch(/maxReplicas:\s*1\b/);
    expect(bicep).toMatch(/activeRevisionsMode:\s*'Single'/);
  });

  it('sets only variables the container reads, the token from a secret that holds a @secure() parameter, and the public URL of the app itself', () => {
    expect(envEntries.length).toBeGreaterThan(0);
    expect(envEntries.map((e) => e.name).filter((name) => !(containerVariables as readonly string[]).includes(name))).toEqual([]);
    const tokenEntry = envEntries.find((e) => e.name === tokenVariable);
    expect(tokenEntry?.kind).toBe('secretRef');
    const tokenSecret = secrets.find((s) => `'${s.name}'` === tokenEntry!.expression);
    expect(tokenSecret, `a secret named ${tokenEntry!.expression}`).toBeDefined();
    expect(secureParams).toContain(tokenSecret!.value);
    expect(bicep).toMatch(new RegExp(`@secure\\(\\)\\s*@minLength\\(16\\)\\s*param ${tokenSecret!.value} string`));
    expect(envEntries.find((e) => e.name === publicUrlVariable)).toMatchObject({ kind: 'value', expression: "'https://${name}.${fleetEnvironment.properties.defaultDomain}'" });
    expect(envEntries.find((e) => e.name === topologyJsonVariable)?.kind).toBe('secretRef');
  });

  it('never puts a secure parameter in a plain value, and every secretRef names a secret it declares', () => {
    for (const entry of envEntries.filter((e) => e.kind === 'value')) for (const param of secureParams) expect(entry.expression).not.toMatch(new RegExp(`\\b${param}\\b`));
    for (const entry of envEntries.filter((e) => e.kind === 'secretRef')) expect(secrets.map((s) => `'${s.name}'`)).toContain(entry.expression);
    expect(bicep).not.toMatch(/^output .*(controlToken|registryPassword|topology\b)/m);
  });
});

describe('deploy/fleet/apim-backends (the sample APIOps backends pointing at the fleet)', () => {
  const sample = join(root, 'deploy/apim/backends');
  const overlay = join(here, 'apim-backends/backends');
  const placeholder = 'https://FLEET_HOST';
  type Backend = { properties: { type?: string; url?: string } & Record<string, unknown> };
  const read = (dir: string, name: string): Backend => JSON.parse(readFileSync(join(dir, name, 'backendInformation.json'), 'utf8')) as Backend;
  const singles = readdirSync(sample).filter((name) => (read(sample, name).properties.type ?? 'Single').toLowerCase() === 'single');
  const fleetNames = loadTopologyFile(defaultTopologyFile).resources.map((r) => r.name);

  it("has one file per Single backend of deploy/apim, the same but for its URL: the fleet's route to the resource the original names", () => {
    expect(readdirSync(overlay).sort()).toEqual([...singles].sort());
    for (const name of singles) {
      const original = read(sample, name);
      const pointed = read(overlay, name);
      const resource = /^https:\/\/([a-z0-9-]+)\.openai\.azure\.com\/openai$/.exec(original.properties.url!)![1]!;
      expect(fleetNames, `${name} points at a resource of the image's default topology`).toContain(resource);
      expect(pointed.properties.url).toBe(`${publicBackendEndpoint(placeholder, resource)}/openai`);
      expect({ ...pointed, properties: { ...pointed.properties, url: original.properties.url } }).toEqual(original);
      const route = routeOf(new URL(`${pointed.properties.url!}/deployments/gpt-4o/chat/completions`).pathname);
      expect(route).toEqual({ kind: 'backend', backend: resource, path: '/openai/deployments/gpt-4o/chat/completions' });
    }
  });

  it('laid over deploy/apim with the placeholder replaced, gives a configuration that loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apim-with-fleet-'));
    cpSync(join(root, 'deploy/apim'), dir, { recursive: true });
    for (const name of readdirSync(overlay)) {
      writeFileSync(join(dir, 'backends', name, 'backendInformation.json'), readFileSync(join(overlay, name, 'backendInformation.json'), 'utf8').replaceAll(placeholder, 'https://spillway-fleet.example.azurecontainerapps.io'));
    }
    const config = loadGatewayConfig(dir);
    const ptu1 = config.backends.get('aoai-eastus-ptu1');
    expect(ptu1 && ptu1.type === 'Single' ? ptu1.url : null).toBe('https://spillway-fleet.example.azurecontainerapps.io/backends/aoai-eastus-ptu1/openai');
  });
});
