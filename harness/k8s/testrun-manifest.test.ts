import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadK6Config, scenarioPlan } from '../run/scenario-plan.ts';
import { loadTestRunValidator, testRunCrdFile } from './testrun-crd-support.ts';
import { runnerSamplesPath, runnerSummaryExportPath, testRunManifest, type TestRunInput } from './testrun-manifest.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const configFile = join(repoRoot, 'k6.config.json');
const config = loadK6Config(configFile);

function input(overrides: Partial<TestRunInput> = {}): TestRunInput {
  return {
    name: 'spillway-spillover-20261207-070000',
    namespace: 'load',
    labels: { 'app.kubernetes.io/name': 'spillway' },
    parallelism: 4,
    configMap: 'spillway-spillover-20261207-070000-script',
    scriptFile: 'spillover.js',
    k6Image: 'grafana/k6:2.2.0',
    resultsClaim: 'spillway-results',
    plan: scenarioPlan(config, 'spillover', configFile),
    config,
    units: 2,
    gatewayUrl: 'https://apim.example.net',
    runId: 'spillway-spillover-20261207-070000',
    keySecret: 'spillway-subscription-keys',
    ...overrides,
  };
}

const validator = loadTestRunValidator();
if (!validator) process.stdout.write(`testrun-manifest.test.ts: CRD schema checks skipped: ${testRunCrdFile} is missing (k6-operator's TestRun CRD, kept outside the repository)\n`);

describe.skipIf(!validator)("the TestRun against k6-operator's CRD schema", () => {
  it('validates, after a round trip through YAML', () => {
    const manifest = parse(stringify(testRunManifest(input())));
    expect(validator!.problems(manifest)).toEqual([]);
  });

  // Each mutation is a manifest broken in one way the schema check is there to catch.
  it('refuses a field the schema does not declare, which the API server would silently drop', () => {
    const manifest = testRunManifest(input());
    // `separate` misspelt: every declared field is still right, so only the unknown one can fail.
    expect(validator!.problems({ ...manifest, spec: { ...manifest.spec, seperate: true } })).toEqual(['spec: Unrecognized key: "seperate"']);
  });

  it('refuses a misspelt field deep in the runner (a volume mount)', () => {
    const manifest = testRunManifest(input());
    const broken = { ...manifest, spec: { ...manifest.spec, runner: { ...manifest.spec.runner, volumeMounts: [{ name: 'x', mountPath: '/results', subPathExpresion: 'a' }] } } };
    expect(validator!.problems(broken)).toEqual(['spec.runner.volumeMounts.0: Unrecognized key: "subPathExpresion"']);
  });

  it('refuses a parallelism that is not a number, and a TestRun without a script', () => {
    const manifest = testRunManifest(input());
    expect(validator!.problems({ ...manifest, spec: { ...manifest.spec, parallelism: '4' } }).join('\n')).toMatch(/spec\.parallelism/);
    const { script: _script, ...withoutScript } = manifest.spec;
    expect(validator!.problems({ ...manifest, spec: withoutScript }).join('\n')).toMatch(/spec\.script/);
  });

  it('refuses the wrong group or kind', () => {
    expect(validator!.problems({ ...testRunManifest(input()), kind: 'K6' })).toEqual(['kind: "K6" is not TestRun']);
    expect(validator!.problems({ ...testRunManifest(input()), apiVersion: 'k6.io/v1' })).toEqual(['apiVersion: "k6.io/v1" is not k6.io/v1alpha1']);
  });
});

describe('testRunManifest', () => {
  it('runs the bundle from the ConfigMap in parallelism runners', () => {
    const manifest = testRunManifest(input());
    expect(manifest.spec.parallelism).toBe(4);
    expect(manifest.spec.script).toEqual({ configMap: { name: 'spillway-spillover-20261207-070000-script', file: 'spillover.js' } });
    expect(manifest.spec.runner.image).toBe('grafana/k6:2.2.0');
  });

  it('has each runner write its raw samples and summary export into its own folder of the results claim', () => {
    const manifest = testRunManifest(input());
    // The operator splits `arguments` at spaces: no value may hold one.
    expect(manifest.spec.arguments.split(' ')).toEqual(['--quiet', '--no-color', '--out', `json=${runnerSamplesPath}`, '--summary-export', runnerSummaryExportPath]);
    expect(manifest.spec.runner.volumeMounts).toEqual([{ name: 'spillway-results', mountPath: '/results', subPathExpr: 'spillway-spillover-20261207-070000/$(SPILLWAY_RUNNER_POD)' }]);
    expect(manifest.spec.runner.volumes).toEqual([{ name: 'spillway-results', persistentVolumeClaim: { claimName: 'spillway-results' } }]);
    // subPathExpr expands only variables of the container: the pod's name must be one.
    expect(manifest.spec.runner.env[0]).toEqual({ name: 'SPILLWAY_RUNNER_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  });
});
