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
    const result = await runCliInProcess(['k8s', 'render', 'priority', '--parallelism', '3', '--gateway-url', 'https://apim.example.net', '--namespace', 'load', '--out', out(), '--k6-image', 'registry.example/k6:2.2.0', '--units', '2']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const files = readdirSync(out()).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^spillway-priority-\d{8}-\d{6}\.configmap\.yaml$/);
    expect(files[1]).toMatch(/^spillway-priority-\d{8}-\d{6}\.testrun\.yaml$/);
    const testRun = parse(readFileSync(join(out(), files[1]!), 'utf8')) as { metadata: { namespace: string }; spec: { parallelism: number; runner: { image: string; env: { name: string; value?: string }[] } } };
    expect(testRun.metadata.namespace).toBe('load');
    expect(testRun.spec.parallelism).toBe(3);
    expect(testRun.spec.runner.image).toBe('registry.example/k6:2.2.0');
    expect(JSON.parse(testRun.spec.runner.env.find((v) => v.name === 'SPILLWAY_PLAN')!.value!)).toMatchObject({ units: 2, baseUrl: 'https://apim.example.net' });
    expect(result.stdout).toMatch(/ConfigMap spillway-priority-\S+-script: the bundle, [\d,]+ bytes of 1 MiB/);
    expect(result.stdout).toMatch(/TestRun spillway-priority-\S+: [\d.]+ requests\/s to https:\/\/apim\.example\.net from 3 runners, keys from Secret spillway-subscription-keys, raw results on claim spillway-results/);
    expect(result.stdout).toMatch(/kubectl apply -f \S+\.configmap\.yaml -f \S+\.testrun\.yaml/);
  });

  it.each([
    [['--parallelism', '0', '--gateway-url', 'https://apim.example.net'], /--parallelism "0" must be at least 1/],
    [['--parallelism', '500', '--gateway-url', 'https://apim.example.net'], /--parallelism "500" must be at most 100/],
    [['--parallelism', 'many', '--gateway-url', 'https://apim.example.net'], /--parallelism "many" is not a number/],
    [['--gateway-url', 'https://apim.example.net'], /required option '--parallelism <n>' not specified/],
    [['--parallelism', '2'], /required option '--gateway-url <url>' not specified/],
    [['--parallelism', '2', '--gateway-url', 'ftp://apim'], /--gateway-url "ftp:\/\/apim": must be an http:\/\/ or https:\/\/ URL/],
  ])('refuses %j with a usage error and writes nothing', async (flags, message) => {
    const result = await runCliInProcess(['k8s', 'render', 'spillover', ...flags, '--out', out()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(out())).toBe(false);
  });

  it('refuses a scenario with faults unless --traffic-only', async () => {
    const refused = await runCliInProcess(['k8s', 'render', 'failover', '--parallelism', '2', '--gateway-url', 'https://apim.example.net', '--out', out()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/scenario "failover" has a fault timeline/);
    expect(existsSync(out())).toBe(false);
    const accepted = await runCliInProcess(['k8s', 'render', 'failover', '--parallelism', '2', '--gateway-url', 'https://apim.example.net', '--out', out(), '--traffic-only']);
    expect(accepted.code).toBe(0);
    expect(readdirSync(out())).toHaveLength(2);
  });
});
