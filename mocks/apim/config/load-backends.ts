/**
 * backends/<backend>/backendInformation.json: single backends (a URL, optionally a circuit
 * breaker) and pools (`type: "Pool"`, `pool.services[]` of single backends with priority and
 * weight). Pool rules and breaker rules are checked with the same code the gateway runs
 * (validatePool, circuitBreakerRuleFromArm), so the loader and the gateway cannot disagree.
 *
 * Ignored, and listed in docs/apim-config.md: credentials (the emulator does not authenticate
 * to the fleet), tls, proxy, protocol, title, description, resourceId, and pool session affinity.
 */
import { join } from 'node:path';
import { backendNameFromId, validatePool } from '../backends/backend-pool.ts';
import type { PoolMember } from '../backends/backend-pool.ts';
import { circuitBreakerRuleFromArm } from '../backends/circuit-breaker.ts';
import type { ArmCircuitBreakerRule, CircuitBreakerRule } from '../backends/circuit-breaker.ts';
import { parseIsoDuration } from '../../shared/iso-duration.ts';
import { backendInformationSchema } from './arm-schemas.ts';
import type { BackendInformation } from './arm-schemas.ts';
import type { ConfigProblem, Problems } from './config-error.ts';
import { isFile, listDirectories, locateLine, readJsonFile, validate } from './source-files.ts';
import type { ParsedSource } from './source-files.ts';
import type { BackendConfig } from './types.ts';

interface RawBackend {
  id: string;
  source: ParsedSource;
  properties: BackendInformation['properties'];
}

function problemAt(source: ParsedSource, path: PropertyKey[], field: string, message: string): ConfigProblem {
  const line = locateLine(source.text, path);
  return { file: source.file, ...(line !== undefined ? { line } : {}), field, message };
}

function convertBreaker(raw: RawBackend, problems: Problems): CircuitBreakerRule | undefined {
  const rules = raw.properties.circuitBreaker?.rules;
  if (!rules || rules.length === 0) return undefined;
  // Durations first, field by field, so a bad one is reported at its own line and field.
  let durationsOk = true;
  rules.forEach((rule, index) => {
    const checks: Array<[PropertyKey[], string]> = [
      [['failureCondition', 'interval'], rule.failureCondition.interval],
      [['tripDuration'], rule.tripDuration],
    ];
    for (const [sub, text] of checks) {
      try {
        parseIsoDuration(text);
      } catch (error) {
        durationsOk = false;
        const path = ['properties', 'circuitBreaker', 'rules', index, ...sub];
        problems.add(problemAt(raw.source, path, `properties.circuitBreaker.rules[${index}].${sub.join('.')}`, (error as Error).message));
      }
    }
  });
  if (!durationsOk) return undefined;
  try {
    return circuitBreakerRuleFromArm(rules as readonly ArmCircuitBreakerRule[]);
  } catch (error) {
    const field = rules.length > 1 ? 'properties.circuitBreaker.rules' : 'properties.circuitBreaker.rules[0]';
    const path = rules.length > 1 ? ['properties', 'circuitBreaker', 'rules', 1] : ['properties', 'circuitBreaker', 'rules', 0];
    const message = rules.length > 1 ? `${(error as Error).message}; APIM supports one rule per backend` : (error as Error).message;
    problems.add(problemAt(raw.source, path, field, message));
    return undefined;
  }
}

function isPool(raw: RawBackend): boolean {
  return (raw.properties.type ?? 'Single').toLowerCase() === 'pool';
}

export function loadBackends(root: string, problems: Problems): Map<string, BackendConfig> {
  const backendsDir = join(root, 'backends');
  const raws: RawBackend[] = [];
  const names = new Set<string>();
  for (const id of listDirectories(backendsDir)) {
    // Every folder is a known name even if its file is bad, so pools naming it do not also
    // report "unknown backend" for a problem already reported.
    names.add(id);
    const file = join(backendsDir, id, 'backendInformation.json');
    if (!isFile(file)) {
      problems.add({ file, message: 'missing: each folder under backends/ needs a backendInformation.json' });
      continue;
    }
    const source = readJsonFile(file, problems);
    const info = source && validate(backendInformationSchema, source, problems);
    if (source && info) raws.push({ id, source, properties: info.properties });
  }
  const pools = new Set(raws.filter(isPool).map((r) => r.id));

  const backends = new Map<string, BackendConfig>();
  for (const raw of raws) {
    const circuitBreaker = convertBreaker(raw, problems);
    if (isPool(raw)) {
      const services = raw.properties.pool?.services;
      if (!services || services.length === 0) {
        problems.add(problemAt(raw.source, ['properties', 'pool'], 'properties.pool.services', 'a Pool backend needs at least one member in pool.services'));
        continue;
      }
      const members: PoolMember[] = services.map((s) => ({
        id: s.id,
        ...(s.priority !== undefined && s.priority !== null ? { priority: s.priority } : {}),
        ...(s.weight !== undefined && s.weight !== null ? { weight: s.weight } : {}),
      }));
      for (const error of validatePool(members, { backends: names, pools }, raw.id)) {
        const index = error.memberId === undefined ? -1 : members.findIndex((m) => m.id === error.memberId);
        const sub = error.code === 'priority-out-of-range' ? 'priority' : error.code === 'weight-out-of-range' ? 'weight' : 'id';
        const path = index < 0 ? ['properties', 'pool', 'services'] : ['properties', 'pool', 'services', index, sub];
        const field = index < 0 ? 'properties.pool.services' : `properties.pool.services[${index}].${sub}`;
        problems.add(problemAt(raw.source, path, field, error.message));
      }
      const pool: BackendConfig = { id: raw.id, type: 'Pool', members: members.map((m) => ({ ...m, id: backendNameFromId(m.id) })), file: raw.source.file };
      if (circuitBreaker) pool.circuitBreaker = circuitBreaker;
      backends.set(raw.id, pool);
      continue;
    }
    const url = raw.properties.url;
    if (url === undefined || url === '') {
      problems.add(problemAt(raw.source, ['properties'], 'properties.url', 'is required for a Single backend'));
      continue;
    }
    if (!URL.canParse(url)) {
      problems.add(problemAt(raw.source, ['properties', 'url'], 'properties.url', `"${url}" is not an absolute URL`));
      continue;
    }
    const single: BackendConfig = { id: raw.id, type: 'Single', url, file: raw.source.file };
    if (circuitBreaker) single.circuitBreaker = circuitBreaker;
    backends.set(raw.id, single);
  }
  return backends;
}
