import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadGatewayConfig } from './index.ts';
import type { ConfigProblem } from './index.ts';
import { MINIMAL_SPEC, minimalTree, poolBackend, removeTrees, SEED_RULE, singleBackend, writeTree } from './test-support.ts';
import type { Tree } from './test-support.ts';

afterEach(removeTrees);

/** Loads a tree that must fail; problems come back with paths relative to the folder. */
function problemsFor(tree: Tree): ConfigProblem[] {
  const dir = writeTree(tree);
  try {
    loadGatewayConfig(dir);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => ({ ...p, file: relative(dir, p.file) }));
  }
  throw new Error('expected the configuration to be refused');
}

function withEmulator(patch: Record<string, unknown>): Tree {
  const tree = minimalTree();
  tree['emulator.json'] = { ...(tree['emulator.json'] as object), ...patch };
  return tree;
}

describe('loadGatewayConfig on a valid folder', () => {
  it('returns the APIs, products, backends, subscriptions and regions with defaults applied', () => {
    const dir = writeTree(minimalTree());
    const config = loadGatewayConfig(dir);

    expect(config.dir).toBe(dir);
    expect(config.emulatorFile).toBe(join(dir, 'emulator.json'));
    const api = config.apis[0];
    expect(api).toMatchObject({
      id: 'a1',
      displayName: 'A1',
      path: 'a1',
      protocols: ['https'],
      subscriptionRequired: true,
      subscriptionKeyParameterNames: { header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key' },
    });
    expect(api?.operations).toEqual([
      { id: 'Items_Get', method: 'GET', urlTemplate: '/items/{item-id}', templateParameters: ['item-id'], queryParameters: [] },
    ]);
    expect(config.products).toEqual([{ id: 'p1', displayName: 'P1', subscriptionRequired: true, apis: ['a1'], file: join(dir, 'products/p1/productInformation.json') }]);

    const pool = config.backends.get('pool1');
    expect(pool).toMatchObject({ type: 'Pool', members: [{ id: 'b1', priority: 1, weight: 50 }, { id: 'b2', priority: 2, weight: 50 }] });
    const b1 = config.backends.get('b1');
    expect(b1).toMatchObject({ type: 'Single', url: 'https://b1.openai.azure.com/openai' });
    expect(b1?.circuitBreaker).toEqual({
      name: 'seed',
      failureCondition: { count: 3, interval: 10_000, statusCodeRanges: [{ min: 429, max: 429 }, { min: 500, max: 599 }] },
      tripDurationMs: 30_000,
      acceptRetryAfter: true,
    });
    expect(config.backends.get('b2')?.circuitBreaker).toBeUndefined();

    expect(config.subscriptions).toEqual([{ id: 's1', displayName: 's1', scope: { kind: 'product', id: 'p1' }, primaryKey: 'local-k1', state: 'active' }]);
    expect(config.regions).toEqual([{ name: 'East US', units: 1, primary: true }]);
    expect(config.capacity).toEqual({ enabled: false, requestsPerSecondPerUnit: 4000, queueLength: 1000, queueTimeoutSeconds: 30 });
    expect(config.frontDoor).toBeUndefined();
    expect(config.globalPolicy).toBeUndefined();
    expect(config.policies).toEqual([]);
  });

  it('collects global, product, API and operation policies with scope and owner', () => {
    const tree = minimalTree();
    tree['policy.xml'] = '<policies><inbound /></policies>';
    tree['products/p1/policy.xml'] = '<policies><inbound><base /></inbound></policies>';
    tree['apis/a1/policy.xml'] = '<policies><inbound><base /><set-backend-service backend-id="pool1" /></inbound></policies>';
    tree['apis/a1/operations/Items_Get/policy.xml'] = '<policies><inbound><base /></inbound></policies>';
    const dir = writeTree(tree);
    const config = loadGatewayConfig(dir);
    expect(config.policies.map((p) => [p.scope, p.owner, relative(dir, p.file)])).toEqual([
      ['global', 'service', 'policy.xml'],
      ['product', 'p1', 'products/p1/policy.xml'],
      ['api', 'a1', 'apis/a1/policy.xml'],
      ['operation', 'a1/Items_Get', 'apis/a1/operations/Items_Get/policy.xml'],
    ]);
    expect(config.globalPolicy?.xml).toBe('<policies><inbound /></policies>');
    expect(config.apis[0]?.operations[0]?.policy?.owner).toBe('a1/Items_Get');
    expect(config.products[0]?.policy?.scope).toBe('product');
  });

  it('reads API options, revision folders and an emulator file kept elsewhere', () => {
    const tree = minimalTree();
    tree['apis/a1/apiInformation.json'] = {
      properties: {
        displayName: 'A1',
        path: '/openai/',
        serviceUrl: 'https://x.example',
        protocols: ['http', 'https'],
        subscriptionRequired: false,
        subscriptionKeyParameterNames: { header: 'api-key' },
        isCurrent: true,
        apiRevision: '1',
      },
    };
    // A non-current revision shares the path; APIOps names its folder "<api>;rev=<n>".
    tree['apis/a1;rev=2/apiInformation.json'] = { properties: { displayName: 'A1', path: 'openai' } };
    const elsewhere = tree['emulator.json'] as object;
    delete tree['emulator.json'];
    const dir = writeTree(tree);
    const other = writeTree({ 'local.json': elsewhere });
    const config = loadGatewayConfig(dir, { emulatorFile: join(other, 'local.json') });
    expect(config.apis).toHaveLength(1);
    expect(config.apis[0]).toMatchObject({
      path: 'openai',
      serviceUrl: 'https://x.example',
      protocols: ['http', 'https'],
      subscriptionRequired: false,
      subscriptionKeyParameterNames: { header: 'api-key', query: 'subscription-key' },
    });
  });

  it('reads the emulator settings: keys, states, regions, capacity and Front Door defaults', () => {
    const dir = writeTree(
      withEmulator({
        subscriptions: [
          { id: 'everything', scope: 'all', primaryKey: 'local-a', secondaryKey: 'local-b', state: 'suspended' },
          { id: 'one-api', displayName: 'One API', scope: 'api:a1', primaryKey: 'local-c' },
        ],
        regions: [{ name: 'East US', units: 2, port: 8081 }, { name: 'West US' }],
        capacity: { enabled: true, requestsPerSecondPerUnit: 50 },
        frontDoor: {
          probeIntervalSeconds: 5,
          sampleSize: 4,
          successfulSamplesRequired: 3,
          origins: [{ region: 'East US', priority: 1 }, { region: 'west us', priority: 2, weight: 10, enabled: false }],
        },
      }),
    );
    const config = loadGatewayConfig(dir);
    expect(config.subscriptions).toEqual([
      { id: 'everything', displayName: 'everything', scope: { kind: 'all' }, primaryKey: 'local-a', secondaryKey: 'local-b', state: 'suspended' },
      { id: 'one-api', displayName: 'One API', scope: { kind: 'api', id: 'a1' }, primaryKey: 'local-c', state: 'active' },
    ]);
    expect(config.regions).toEqual([
      { name: 'East US', units: 2, port: 8081, primary: true },
      { name: 'West US', units: 1, primary: false },
    ]);
    expect(config.capacity).toEqual({ enabled: true, requestsPerSecondPerUnit: 50, queueLength: 1000, queueTimeoutSeconds: 30 });
    expect(config.frontDoor).toEqual({
      probeIntervalSeconds: 5,
      sampleSize: 4,
      successfulSamplesRequired: 3,
      probePath: '/status-0123456789abcdef',
      probeMethod: 'HEAD',
      origins: [
        { region: 'East US', priority: 1, weight: 50, enabled: true },
        { region: 'west us', priority: 2, weight: 10, enabled: false },
      ],
    });
  });

  it('resolves named values by display name, taking secrets from emulator.json', () => {
    const tree = withEmulator({ namedValues: { 'backend-key': 'local-secret-value', environment: 'local' } });
    tree['named values/6282504e4634611254a46fe1/namedValueInformation.json'] = { properties: { displayName: 'backend-key', secret: true } };
    tree['named values/environment/namedValueInformation.json'] = { properties: { displayName: 'environment', value: 'production' } };
    tree['named values/region-label/namedValueInformation.json'] = { properties: { displayName: 'region-label', value: 'east' } };
    tree['apis/a1/policy.xml'] = '<policies><inbound><set-header name="x-env" exists-action="override"><value>{{environment}}</value></set-header></inbound></policies>';
    const config = loadGatewayConfig(writeTree(tree));
    expect(config.namedValues).toEqual(new Map([['backend-key', 'local-secret-value'], ['environment', 'local'], ['region-label', 'east']]));
    expect(config.secretNamedValues).toEqual(new Set(['backend-key']));
  });

  it('loads policy fragments by folder name', () => {
    const tree = minimalTree();
    tree['policy fragments/route/policy.xml'] = '<fragment><set-backend-service backend-id="pool1" /></fragment>';
    tree['policy fragments/route/policyFragmentInformation.json'] = { properties: { description: 'routing' } };
    tree['apis/a1/policy.xml'] = '<policies><inbound><include-fragment fragment-id="route" /></inbound></policies>';
    const dir = writeTree(tree);
    const config = loadGatewayConfig(dir);
    expect([...config.fragments.values()]).toEqual([{ id: 'route', file: join(dir, 'policy fragments/route/policy.xml'), xml: '<fragment><set-backend-service backend-id="pool1" /></fragment>' }]);
  });
});

describe('loadGatewayConfig problems', () => {
  it('refuses a path that is not a folder', () => {
    expect(() => loadGatewayConfig('/nonexistent/spillway-apim')).toThrow(/not a folder/);
  });

  it('collects every problem across files into one error', () => {
    const tree = minimalTree();
    tree['products/p1/apis.json'] = [{ name: 'nope' }];
    tree['backends/b2/backendInformation.json'] = singleBackend('https://b2.example', [{ ...SEED_RULE, tripDuration: '30s' }]);
    tree['emulator.json'] = { regions: [{ name: 'East US' }, { name: 'East US' }], subscriptions: [] };
    const problems = problemsFor(tree);
    expect(problems.map((p) => p.file)).toEqual(['products/p1/apis.json', 'backends/b2/backendInformation.json', 'emulator.json']);
  });

  it('names missing required files', () => {
    const tree = minimalTree();
    delete tree['emulator.json'];
    delete tree['apis/a1/specification.yaml'];
    tree['apis/a2/specification.yaml'] = MINIMAL_SPEC;
    tree['products/p2/apis.json'] = [];
    tree['backends/b3/notes.txt'] = 'no backendInformation.json here';
    expect(problemsFor(tree)).toEqual([
      { file: 'emulator.json', message: expect.stringMatching(/^missing: the emulator needs an emulator.json/) },
      { file: 'apis/a1/specification.yaml', message: expect.stringMatching(/^missing: each API needs specification.yaml or specification.json/) },
      { file: 'apis/a2/apiInformation.json', message: 'missing: each folder under apis/ needs an apiInformation.json' },
      { file: 'products/p2/productInformation.json', message: 'missing: each folder under products/ needs a productInformation.json' },
      { file: 'backends/b3/backendInformation.json', message: 'missing: each folder under backends/ needs a backendInformation.json' },
    ]);
  });

  it('refuses two specification files for one API', () => {
    const tree = minimalTree();
    tree['apis/a1/specification.json'] = { openapi: '3.0.1', paths: {} };
    expect(problemsFor(tree)).toEqual([{ file: 'apis/a1/specification.json', message: 'only one specification file is allowed per API; specification.yaml is also present' }]);
  });

  it('names missing required fields with their line', () => {
    const tree = minimalTree();
    tree['apis/a1/apiInformation.json'] = '{\n  "properties": {\n    "displayName": "A1"\n  }\n}\n';
    tree['products/p1/productInformation.json'] = { properties: {} };
    expect(problemsFor(tree)).toEqual([
      { file: 'apis/a1/apiInformation.json', line: 2, field: 'properties.path', message: 'is required' },
      { file: 'products/p1/productInformation.json', line: 2, field: 'properties.displayName', message: 'is required' },
    ]);
  });

  it('reports bad JSON with line and column', () => {
    const tree = minimalTree();
    tree['backends/b2/backendInformation.json'] = '{\n  "properties": {\n    "url": "https://b2.example",,\n  }\n}\n';
    expect(problemsFor(tree)).toEqual([{ file: 'backends/b2/backendInformation.json', line: 3, message: expect.stringMatching(/^not valid JSON at column \d+: /) }]);
  });

  it('reports a YAML specification error with its line', () => {
    const tree = minimalTree();
    tree['apis/a1/specification.yaml'] = 'openapi: 3.0.1\npaths:\n  /a:\n    get: [\n';
    const [problem] = problemsFor(tree);
    expect(problem?.file).toBe('apis/a1/specification.yaml');
    expect(problem?.line).toBeGreaterThanOrEqual(4);
  });

  it('refuses an API whose path collides with another', () => {
    const tree = minimalTree();
    tree['apis/a2/apiInformation.json'] = '{\n  "properties": {\n    "displayName": "A2",\n    "path": "/A1"\n  }\n}\n';
    tree['apis/a2/specification.yaml'] = MINIMAL_SPEC;
    expect(problemsFor(tree)).toEqual([
      { file: 'apis/a2/apiInformation.json', line: 4, field: 'properties.path', message: '"A1" is also the path of API "a1"; each API needs its own path' },
    ]);
  });

  it('refuses API types the emulator does not run', () => {
    const tree = minimalTree();
    tree['apis/a1/apiInformation.json'] = { properties: { displayName: 'A1', path: 'a1', type: 'soap' } };
    expect(problemsFor(tree)).toEqual([expect.objectContaining({ field: 'properties.type', message: '"soap" APIs are not emulated; only HTTP APIs are' })]);
  });

  it('refuses a product listing an unknown API', () => {
    const tree = minimalTree();
    tree['products/p1/apis.json'] = [{ name: 'a1' }, { name: 'missing-api' }];
    expect(problemsFor(tree)).toEqual([
      { file: 'products/p1/apis.json', line: 6, field: '[1].name', message: '"missing-api" is not an API in apis/ (known: a1)' },
    ]);
  });

  it('refuses a pool member naming an unknown backend', () => {
    const tree = minimalTree();
    tree['backends/pool1/backendInformation.json'] = poolBackend([{ id: '/backends/b1' }, { id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.ApiManagement/service/x/backends/ghost' }]);
    expect(problemsFor(tree)).toEqual([
      expect.objectContaining({ file: 'backends/pool1/backendInformation.json', field: 'properties.pool.services[1].id', message: expect.stringMatching(/does not name a defined backend/) }),
    ]);
  });

  it('refuses a pool inside a pool', () => {
    const tree = minimalTree();
    tree['backends/outer/backendInformation.json'] = poolBackend([{ id: '/backends/pool1', priority: 1 }]);
    expect(problemsFor(tree)).toEqual([
      expect.objectContaining({ file: 'backends/outer/backendInformation.json', field: 'properties.pool.services[0].id', message: expect.stringMatching(/is itself a pool/) }),
    ]);
  });

  it('refuses more than 30 pool members', () => {
    const tree = minimalTree();
    const services = Array.from({ length: 31 }, () => ({ id: '/backends/b1' }));
    tree['backends/pool1/backendInformation.json'] = poolBackend(services);
    expect(problemsFor(tree)).toEqual([
      expect.objectContaining({ field: 'properties.pool.services', message: expect.stringMatching(/has 31 members; APIM allows at most 30/) }),
    ]);
  });

  it('refuses a pool without members', () => {
    const tree = minimalTree();
    tree['backends/pool1/backendInformation.json'] = poolBackend([]);
    expect(problemsFor(tree)).toEqual([expect.objectContaining({ field: 'properties.pool.services', message: expect.stringMatching(/at least one member/) })]);
  });

  it('refuses priority or weight outside 0-100', () => {
    const tree = minimalTree();
    tree['backends/pool1/backendInformation.json'] = poolBackend([
      { id: '/backends/b1', priority: 101, weight: 50 },
      { id: '/backends/b2', priority: 1, weight: -1 },
    ]);
    const problems = problemsFor(tree);
    expect(problems.map((p) => p.field)).toEqual(['properties.pool.services[0].priority', 'properties.pool.services[1].weight']);
    expect(problems[0]?.message).toMatch(/priority 101; it must be an integer from 0 to 100/);
    expect(problems[1]?.line).toBe(14);
  });

  it('refuses a bad ISO-8601 duration in a breaker rule, naming the field', () => {
    const tree = minimalTree();
    tree['backends/b1/backendInformation.json'] = singleBackend('https://b1.example', [{ ...SEED_RULE, failureCondition: { ...SEED_RULE.failureCondition, interval: '10 seconds' } }]);
    expect(problemsFor(tree)).toEqual([
      expect.objectContaining({ field: 'properties.circuitBreaker.rules[0].failureCondition.interval', message: expect.stringMatching(/"10 seconds" is not a valid ISO-8601 duration/) }),
    ]);
  });

  it('refuses more than one breaker rule', () => {
    const tree = minimalTree();
    tree['backends/b1/backendInformation.json'] = singleBackend('https://b1.example', [SEED_RULE, { ...SEED_RULE, name: 'second' }]);
    expect(problemsFor(tree)).toEqual([
      expect.objectContaining({ field: 'properties.circuitBreaker.rules', message: expect.stringMatching(/only one circuit breaker rule, got 2.*APIM supports one rule per backend/) }),
    ]);
  });

  it('refuses a breaker rule the breaker cannot run', () => {
    const tree = minimalTree();
    tree['backends/b1/backendInformation.json'] = singleBackend('https://b1.example', [{ ...SEED_RULE, failureCondition: { interval: 'PT10S', statusCodeRanges: [{ min: 600, max: 700 }] } }]);
    const [problem] = problemsFor(tree);
    expect(problem?.field).toBe('properties.circuitBreaker.rules[0]');
    expect(problem?.message).toMatch(/needs count or percentage/);
  });

  it('refuses a Single backend without a usable URL, and an unknown type', () => {
    const tree = minimalTree();
    tree['backends/b2/backendInformation.json'] = { properties: { type: 'Single' } };
    tree['backends/b3/backendInformation.json'] = { properties: { url: 'not a url' } };
    tree['backends/b4/backendInformation.json'] = { properties: { type: 'Cluster', url: 'https://x.example' } };
    expect(problemsFor(tree).map((p) => [p.file, p.field, p.message])).toEqual([
      // Schema problems come from reading each file, before backends are checked against each other.
      ['backends/b4/backendInformation.json', 'properties.type', 'must be "Single" or "Pool"'],
      ['backends/b2/backendInformation.json', 'properties.url', 'is required for a Single backend'],
      ['backends/b3/backendInformation.json', 'properties.url', '"not a url" is not an absolute URL'],
    ]);
  });

  it('refuses a subscription scoped to an unknown product or API', () => {
    const problems = problemsFor(
      withEmulator({
        subscriptions: [
          { id: 's1', scope: 'product:ghost', primaryKey: 'local-1' },
          { id: 's2', scope: 'api:ghost-api', primaryKey: 'local-2' },
          { id: 's3', scope: 'everything', primaryKey: 'local-3' },
        ],
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['subscriptions[2].scope', 'must be "all", "product:<product id>" or "api:<api id>"'],
    ]);
    const withoutBadForm = problemsFor(
      withEmulator({
        subscriptions: [
          { id: 's1', scope: 'product:ghost', primaryKey: 'local-1' },
          { id: 's2', scope: 'api:ghost-api', primaryKey: 'local-2' },
        ],
      }),
    );
    expect(withoutBadForm).toEqual([
      { file: 'emulator.json', line: 10, field: 'subscriptions[0].scope', message: 'product "ghost" is not in products/ (p1)' },
      { file: 'emulator.json', line: 15, field: 'subscriptions[1].scope', message: 'API "ghost-api" is not in apis/ (a1)' },
    ]);
  });

  it('refuses duplicate subscription keys and ids without printing the key', () => {
    const problems = problemsFor(
      withEmulator({
        subscriptions: [
          { id: 's1', scope: 'all', primaryKey: 'local-shared-key', secondaryKey: 'local-shared-key' },
          { id: 'S1', scope: 'all', primaryKey: 'local-other' },
          { id: 's3', scope: 'all', primaryKey: 'local-other' },
        ],
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['subscriptions[0].secondaryKey', 'the same key is already subscriptions[0].primaryKey ("s1"); a key must identify one subscription'],
      ['subscriptions[1].id', '"S1" is also the id of subscriptions[0]'],
      ['subscriptions[2].primaryKey', 'the same key is already subscriptions[1].primaryKey ("S1"); a key must identify one subscription'],
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/local-shared-key|local-other/);
  });

  it('refuses a region listed twice, a port used twice and an empty region list', () => {
    expect(problemsFor(withEmulator({ regions: [{ name: 'East US', port: 9000 }, { name: 'east us' }, { name: 'West US', port: 9000 }] })).map((p) => [p.field, p.message])).toEqual([
      ['regions[1].name', '"east us" is already listed as regions[0]; list each region once'],
      ['regions[2].port', '9000 is already the port of region "East US"'],
    ]);
    expect(problemsFor(withEmulator({ regions: [] }))).toEqual([
      expect.objectContaining({ field: 'regions', message: 'at least one region is needed; the first is the primary' }),
    ]);
  });

  it('refuses unknown emulator fields and bad Front Door settings', () => {
    const problems = problemsFor(
      withEmulator({
        backendHosts: {},
        frontDoor: {
          probeIntervalSeconds: 300,
          sampleSize: 2,
          successfulSamplesRequired: 3,
          origins: [{ region: 'Mars', priority: 1 }],
        },
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['frontDoor.probeIntervalSeconds', expect.stringMatching(/<=255/)],
      ['frontDoor.successfulSamplesRequired', 'successfulSamplesRequired cannot be larger than sampleSize'],
      [undefined, 'unknown field "backendHosts"'],
    ]);
    const second = problemsFor(
      withEmulator({ frontDoor: { probeIntervalSeconds: 5, sampleSize: 2, successfulSamplesRequired: 3, origins: [{ region: 'Mars', priority: 1 }] } }),
    );
    expect(second.map((p) => [p.field, p.message])).toEqual([['frontDoor.successfulSamplesRequired', 'successfulSamplesRequired cannot be larger than sampleSize']]);
    const third = problemsFor(
      withEmulator({
        frontDoor: { probeIntervalSeconds: 5, sampleSize: 4, successfulSamplesRequired: 3, origins: [{ region: 'Mars', priority: 1 }, { region: 'East US', priority: 1 }, { region: 'EAST US', priority: 2 }] },
      }),
    );
    expect(third.map((p) => [p.field, p.message])).toEqual([
      ['frontDoor.origins[0].region', '"Mars" is not one of the regions (East US)'],
      ['frontDoor.origins[2].region', '"EAST US" already has an origin'],
    ]);
  });

  it('refuses a secret named value without a value, and never prints secret values', () => {
    const tree = withEmulator({ namedValues: { 'api-secret': 'local-very-secret', typo: 'x' } });
    tree['named values/api-secret/namedValueInformation.json'] = { properties: { displayName: 'api-secret', secret: true } };
    tree['named values/vault/namedValueInformation.json'] = { properties: { displayName: 'vault-secret', keyVault: { secretIdentifier: 'https://kv.vault.azure.net/secrets/x' } } };
    tree['named values/plain/namedValueInformation.json'] = { properties: { displayName: 'plain' } };
    const dir = writeTree(tree);
    let error: unknown;
    try {
      loadGatewayConfig(dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => ({ ...p, file: relative(dir, p.file) }));
    expect(problems.map((p) => [p.file, p.field, p.message])).toEqual([
      ['named values/plain/namedValueInformation.json', 'properties.value', 'is required for the named value "plain" (or give one in emulator.json namedValues["plain"])'],
      ['named values/vault/namedValueInformation.json', 'properties.value', 'the Key Vault named value "vault-secret" has no value here; give it one in emulator.json namedValues["vault-secret"]'],
      ['emulator.json', 'namedValues.typo', 'no named value in "named values/" has this display name or folder name'],
    ]);
    expect((error as Error).message).not.toContain('local-very-secret');
  });

  it('refuses two named values with one display name', () => {
    const tree = minimalTree();
    tree['named values/a/namedValueInformation.json'] = { properties: { displayName: 'Env', value: '1' } };
    tree['named values/b/namedValueInformation.json'] = { properties: { displayName: 'env', value: '2' } };
    expect(problemsFor(tree)).toEqual([expect.objectContaining({ file: 'named values/b/namedValueInformation.json', message: '"env" is also the display name of named value folder "a"' })]);
  });

  it('refuses an operation policy for an operation the specification does not define', () => {
    const tree = minimalTree();
    tree['apis/a1/operations/Items_Delete/policy.xml'] = '<policies />';
    expect(problemsFor(tree)).toEqual([
      { file: 'apis/a1/operations/Items_Delete/policy.xml', message: 'operations/Items_Delete/ names no operation of API "a1"; its specification defines Items_Get' },
    ]);
  });

  it('refuses an empty policy file', () => {
    const tree = minimalTree();
    tree['policy.xml'] = '  \n';
    expect(problemsFor(tree)).toEqual([{ file: 'policy.xml', message: 'the policy file is empty; delete it or give it a <policies> document' }]);
  });

  it('refuses policies naming an unknown backend, fragment or named value, with the line', () => {
    const tree = minimalTree();
    tree['named values/env/namedValueInformation.json'] = { properties: { displayName: 'env', value: 'x' } };
    tree['apis/a1/policy.xml'] = [
      '<policies>',
      '  <inbound>',
      '    <!-- <set-backend-service backend-id="commented-out" /> -->',
      '    <set-backend-service backend-id="pool1" />',
      '    <set-backend-service backend-id="@(&quot;computed&quot;)" />',
      '    <set-backend-service backend-id="pool-typo" />',
      '    <include-fragment fragment-id="missing-fragment" />',
      '    <set-header name="a"><value>{{ENV}} {{nope}}</value></set-header>',
      '  </inbound>',
      '</policies>',
    ].join('\n');
    expect(problemsFor(tree)).toEqual([
      { file: 'apis/a1/policy.xml', line: 6, message: 'backend-id "pool-typo" names no backend in backends/ (defined: b1, b2, pool1)' },
      { file: 'apis/a1/policy.xml', line: 7, message: 'fragment-id "missing-fragment" names no fragment in "policy fragments/" (none are defined)' },
      { file: 'apis/a1/policy.xml', line: 8, message: '{{nope}} names no named value in "named values/" (defined: env)' },
    ]);
  });

  it('checks references inside fragments too', () => {
    const tree = minimalTree();
    tree['policy fragments/f1/policy.xml'] = '<fragment>\n  <set-backend-service backend-id="ghost" />\n</fragment>';
    tree['policy fragments/f2/policyFragmentInformation.json'] = { properties: {} };
    expect(problemsFor(tree)).toEqual([
      { file: 'policy fragments/f2/policy.xml', message: 'missing: each folder under "policy fragments/" needs a policy.xml' },
      { file: 'policy fragments/f1/policy.xml', line: 2, message: 'backend-id "ghost" names no backend in backends/ (defined: b1, b2, pool1)' },
    ]);
  });
});
