import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from './cli-test-support.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'spillway-k8s-cmd-'));
});
afterEach(() => {
  process.exitCode = undefined;
  rmSync(root, { recursive: true, force: true });
});

const out = () => join(root, 'manifests');

describe('spillway k8s render', () => {
  it('writes the ConfigMap and the TestRun and says how to apply them', async () => {
    const result = await runCliInProcess(['k8s', 'render', 'priority', '--parallelism', '3', '--gateway-url', 'https://apim.example.net', '--max-rate', '1000', '--namespace', 'load', '--out', out(), '--k6-image', 'registry.example/k6:2.2.0', '--units', '2']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const files = readdirSync(out()).sort();
    expect(files).toHaveLength(3);
    expect(files[0]).toMatch(/^spillway-priority-\d{8}-\d{6}\.configmap\.yaml$/);
    expect(files[1]).toMatch(/^spillway-priority-\d{8}-\d{6}\.plan\.json$/);
    expect(files[2]).toMatch(/^spillway-priority-\d{8}-\d{6}\.testrun\.yaml$/);
    const testRun = parse(readFileSync(join(out(), files[2]!), 'utf8')) as { metadata: { namespace: string }; spec: { parallelism: number; runner: { image: string; env: { name: string; value?: string }[] } } };
    expect(testRun.metadata.namespace).toBe('load');
    expect(testRun.spec.parallelism).toBe(3);
    expect(testRun.spec.runner.image).toBe('registry.example/k6:2.2.0');
    expect(JSON.parse(testRun.spec.runner.env.find((v) => v.name === 'SPILLWAY_PLAN')!.value!)).toMatchObject({ units: 2, baseUrl: 'https://apim.example.net' });
    expect(result.stdout).toMatch(/ConfigMap spillway-priority-\S+-script: the bundle, [\d,]+ bytes of 1 MiB/);
    expect(result.stdout).toMatch(/TestRun spillway-priority-\S+: [\d.]+ requests\/s at its busiest \(cap 1000\) to https:\/\/apim\.example\.net from 3 runners, keys from Secret spillway-subscription-keys, raw results on claim spillway-results/);
    expect(result.stdout).toMatch(/kubectl apply -f \S+\.configmap\.yaml -f \S+\.testrun\.yaml/);
  });

  it.each([
    [['--parallelism', '0', '--gateway-url', 'https://apim.example.net'], /--parallelism "0" must be at least 1/],
    [['--parallelism', '500', '--gateway-url', 'https://apim.example.net'], /--parallelism "500" must be at most 100/],
    [['--parallelism', 'many', '--gateway-url', 'https://apim.example.net'], /--parallelism "many" is not a number/],
    [['--gateway-url', 'https://apim.example.net'], /required option '--parallelism <n>' not specified/],
    [['--parallelism', '2'], /required option '--gateway-url <url>' not specified/],
    [['--parallelism', '2', '--gateway-url', 'https://apim.example.net', '--start-rps', '10'], /--start-rps: only for `spillway k8s render capacity`/],
    [['--parallelism', '2', '--gateway-url', 'ftp://apim'], /--gateway-url "ftp:\/\/apim": must be an http:\/\/ or https:\/\/ URL/],
  ])('refuses %j with a usage error and writes nothing', async (flags, message) => {
    const result = await runCliInProcess(['k8s', 'render', 'spillover', ...flags, '--max-rate', '1000', '--out', out()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(out())).toBe(false);
  });

  it('refuses a scenario with faults unless --traffic-only', async () => {
    const refused = await runCliInProcess(['k8s', 'render', 'failover', '--parallelism', '2', '--gateway-url', 'https://apim.example.net', '--max-rate', '1000', '--out', out()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/scenario "failover" has a fault timeline/);
    expect(existsSync(out())).toBe(false);
    const accepted = await runCliInProcess(['k8s', 'render', 'failover', '--parallelism', '2', '--gateway-url', 'https://apim.example.net', '--max-rate', '1000', '--out', out(), '--traffic-only']);
    expect(accepted.code).toBe(0);
    expect(readdirSync(out())).toHaveLength(3);
  });
});

describe('spillway k8s render capacity', () => {
  const base = ['k8s', 'render', 'capacity', '--parallelism', '2', '--gateway-url', 'https://apim.example.net', '--units', '2'];
  it('writes the staircase and says its busiest rate against the cap', async () => {
    const result = await runCliInProcess([...base, '--max-rate', '300', '--start-rps', '100', '--step-rps', '100', '--max-rps', '300', '--hold-seconds', '30', '--out', out()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/TestRun spillway-capacity-\S+: 300 requests\/s at its busiest \(cap 300\) to https:\/\/apim\.example\.net\/capacity\/light from 2 runners/);
    expect(result.stdout).toMatch(/spillway-capacity-\S+\.plan\.json {2}the plan without keys, for: spillway k8s collect/);
  });

  it.each([
    [['--start-rps', '100', '--step-rps', '100', '--max-rps', '300', '--hold-seconds', '30'], /required option '--max-rate <requests\/s>' not specified/],
    [['--max-rate', '1000', '--start-rps', '100', '--max-rps', '300'], /capacity: --step-rps, --hold-seconds are required/],
    [['--max-rate', '200', '--start-rps', '100', '--step-rps', '100', '--max-rps', '300', '--hold-seconds', '30'], /--max-rate 200: the capacity staircase sends 300 requests\/s at its busiest, more than the cap/],
    [['--max-rate', '1000', '--start-rps', '100', '--step-rps', '100', '--max-rps', '300', '--hold-seconds', '30', '--profile', 'medium'], /--profile "medium": must be light or heavy/],
  ])('refuses %j, writing nothing', async (flags, message) => {
    const result = await runCliInProcess([...base, ...flags, '--out', out()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(out())).toBe(false);
  });
});

describe('spillway k8s collect', () => {
  it('needs --plan, and refuses a folder without runners with exit 2', async () => {
    const missing = await runCliInProcess(['k8s', 'collect', join(root, 'fetched')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--plan <file>' not specified/);
    const rendered = await runCliInProcess(['k8s', 'render', 'spillover', '--parallelism', '2', '--gateway-url', 'https://apim.example.net', '--max-rate', '100', '--out', out()]);
    expect(rendered.code).toBe(0);
    const plan = join(out(), readdirSync(out()).find((f) => f.endsWith('.plan.json'))!);
    const none = await runCliInProcess(['k8s', 'collect', root, '--plan', plan, '--results', join(root, 'results')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no runner's results: no sub-folder holds k6-samples\.json/);
    expect(existsSync(join(root, 'results'))).toBe(false);
  });
});
