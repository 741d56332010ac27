/**
 * Loads the gateway configuration: an APIOps artifact folder (the layout APIM teams keep in
 * git, so the same folder can be published to a real APIM) plus the emulator's own
 * emulator.json. Every problem in every file is collected first and reported in one
 * ConfigError; nothing starts on a bad configuration. Policies are returned as raw XML for the
 * policy compiler. docs/apim-config.md is the reference for the layout and every field.
 */
import { join } from 'node:path';
import { ConfigError, Problems } from './config-error.ts';
import { loadApis } from './load-apis.ts';
import { loadBackends } from './load-backends.ts';
import { readEmulatorFile, resolveEmulator } from './load-emulator.ts';
import type { EmulatorSettings } from './load-emulator.ts';
import { loadNamedValues } from './load-named-values.ts';
import { loadPolicyFragments } from './load-policy-fragments.ts';
import { loadProducts } from './load-products.ts';
import { readOptionalPolicy } from './policy-files.ts';
import { checkPolicyReferences } from './policy-references.ts';
import { isDirectory, listDirectories } from './source-files.ts';
import type { GatewayConfig, PolicySource } from './types.ts';

export { ConfigError, formatProblem } from './config-error.ts';
export type { ConfigProblem } from './config-error.ts';
export { DEFAULT_SUBSCRIPTION_KEY_NAMES } from './load-apis.ts';
export { matchApi, matchOperation } from './request-matching.ts';
export type { ApiMatch, OperationMatch } from './request-matching.ts';
export type * from './types.ts';

export interface LoadOptions {
  /** Where the emulator file is, when it is not `<dir>/emulator.json`. */
  emulatorFile?: string;
}

/** API folder names, without APIOps's non-current revision folders ("<api>;rev=2"). */
function apiFolderNames(dir: string): Set<string> {
  return new Set(listDirectories(join(dir, 'apis')).filter((name) => !name.includes(';rev=')));
}

export function loadGatewayConfig(dir: string, options: LoadOptions = {}): GatewayConfig {
  const emulatorFile = options.emulatorFile ?? join(dir, 'emulator.json');
  if (!isDirectory(dir)) throw new ConfigError(dir, [{ file: dir, message: 'not a folder; expected an APIOps artifact folder (apis/, products/, backends/, …)' }]);
  const problems = new Problems();

  const emulator = readEmulatorFile(emulatorFile, problems);
  const apis = loadApis(dir, problems);
  // Cross-references are checked against folder names, not only against what loaded, so a
  // broken file is reported once rather than again by everything that names it.
  const products = loadProducts(dir, apiFolderNames(dir), problems);
  const backends = loadBackends(dir, problems);
  const fragments = loadPolicyFragments(dir, problems);
  const namedValues = loadNamedValues(dir, emulator.data?.namedValues ?? {}, emulator.source, problems);
  const globalPolicy = readOptionalPolicy(join(dir, 'policy.xml'), 'global', 'service', problems);

  const policies: PolicySource[] = [];
  if (globalPolicy) policies.push(globalPolicy);
  for (const product of products) if (product.policy) policies.push(product.policy);
  for (const api of apis) {
    if (api.policy) policies.push(api.policy);
    for (const operation of api.operations) if (operation.policy) policies.push(operation.policy);
  }

  const known = {
    backends: new Set(listDirectories(join(dir, 'backends'))),
    fragments: new Set(listDirectories(join(dir, 'policy fragments'))),
    namedValues: new Set([...namedValues.values.keys(), ...namedValues.secrets]),
  };
  for (const policy of [...policies, ...fragments.values()]) checkPolicyReferences(policy, known, problems);

  let settings: EmulatorSettings | undefined;
  if (emulator.data && emulator.source) {
    const targets = { apiIds: apiFolderNames(dir), productIds: new Set(listDirectories(join(dir, 'products'))) };
    settings = resolveEmulator(emulator.data, emulator.source, targets, problems);
  }

  if (problems.count > 0 || !settings) throw new ConfigError(dir, problems.list);

  const config: GatewayConfig = {
    dir,
    emulatorFile,
    apis,
    products,
    backends,
    namedValues: namedValues.values,
    secretNamedValues: namedValues.secrets,
    fragments,
    policies,
    subscriptions: settings.subscriptions,
    regions: settings.regions,
    capacity: settings.capacity,
  };
  if (globalPolicy) config.globalPolicy = globalPolicy;
  if (settings.frontDoor) config.frontDoor = settings.frontDoor;
  return config;
}
