/**
 * apis/<api>/: apiInformation.json, specification.(yaml|yml|json), an optional policy.xml and
 * optional operations/<operationId>/policy.xml, as APIOps lays them out.
 *
 * Choices: folders of non-current revisions ("<api>;rev=2", as APIOps names them) are skipped,
 * because the gateway serves the current revision; version sets are not modelled, so two APIs
 * with the same path are a collision even if APIM would tell them apart by version.
 */
import { basename, join } from 'node:path';
import { apiInformationSchema } from './arm-schemas.ts';
import type { Problems } from './config-error.ts';
import { operationsFromSpecification } from './openapi-operations.ts';
import { readOptionalPolicy } from './policy-files.ts';
import { isFile, listDirectories, locateLine, parseJson, parseYaml, readJsonFile, readText, validate } from './source-files.ts';
import type { ParsedSource } from './source-files.ts';
import type { ApiConfig, OperationConfig } from './types.ts';

/** APIM's defaults when an API does not name its subscription key header and query parameter. */
export const DEFAULT_SUBSCRIPTION_KEY_NAMES = { header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key' } as const;

const SPECIFICATION_FILES = ['specification.yaml', 'specification.yml', 'specification.json'];

function readSpecification(apiDir: string, problems: Problems): { file: string; source?: ParsedSource } | undefined {
  const present = SPECIFICATION_FILES.map((name) => join(apiDir, name)).filter(isFile);
  if (present.length === 0) {
    problems.add({ file: join(apiDir, 'specification.yaml'), message: 'missing: each API needs specification.yaml or specification.json (OpenAPI) to define its operations' });
    return undefined;
  }
  if (present.length > 1) {
    problems.add({ file: present[1] as string, message: `only one specification file is allowed per API; ${basename(present[0] as string)} is also present` });
    return undefined;
  }
  const file = present[0] as string;
  const text = readText(file, problems);
  if (text === undefined) return { file };
  const source = file.endsWith('.json') ? parseJson({ file, text }, problems) : parseYaml({ file, text }, problems);
  return source ? { file, source } : { file };
}

function loadApi(apisDir: string, id: string, problems: Problems): ApiConfig | undefined {
  const apiDir = join(apisDir, id);
  const infoFile = join(apiDir, 'apiInformation.json');
  const specification = readSpecification(apiDir, problems);
  if (!isFile(infoFile)) {
    problems.add({ file: infoFile, message: 'missing: each folder under apis/ needs an apiInformation.json' });
    return undefined;
  }
  const parsed = readJsonFile(infoFile, problems);
  const info = parsed && validate(apiInformationSchema, parsed, problems);
  if (!parsed || !info) return undefined;
  const p = info.properties;

  const kind = p.type ?? p.apiType;
  if (kind !== undefined && kind.toLowerCase() !== 'http') {
    problems.add({ file: infoFile, ...lineOf(parsed, ['properties', p.type !== undefined ? 'type' : 'apiType']), field: `properties.${p.type !== undefined ? 'type' : 'apiType'}`, message: `"${kind}" APIs are not emulated; only HTTP APIs are` });
  }

  const specOperations = specification?.source ? operationsFromSpecification(specification.source, problems) : [];
  const operations: OperationConfig[] = specOperations.map((op) => ({ ...op }));
  const byLowerId = new Map(operations.map((op) => [op.id.toLowerCase(), op]));

  const policy = readOptionalPolicy(join(apiDir, 'policy.xml'), 'api', id, problems);
  const operationsDir = join(apiDir, 'operations');
  for (const name of listDirectories(operationsDir)) {
    const policyFile = join(operationsDir, name, 'policy.xml');
    const operation = byLowerId.get(name.toLowerCase());
    if (!operation) {
      if (isFile(policyFile) && specification?.source) {
        problems.add({ file: policyFile, message: `operations/${name}/ names no operation of API "${id}"; its specification defines ${operations.map((o) => o.id).join(', ') || 'none'}` });
      }
      continue;
    }
    const opPolicy = readOptionalPolicy(policyFile, 'operation', `${id}/${operation.id}`, problems);
    if (opPolicy) operation.policy = opPolicy;
  }

  const api: ApiConfig = {
    id,
    displayName: p.displayName,
    path: p.path.replace(/^\/+|\/+$/g, ''),
    protocols: p.protocols ?? ['https'],
    // APIM's default for a new API is subscription required.
    subscriptionRequired: p.subscriptionRequired ?? true,
    subscriptionKeyParameterNames: {
      header: p.subscriptionKeyParameterNames?.header ?? DEFAULT_SUBSCRIPTION_KEY_NAMES.header,
      query: p.subscriptionKeyParameterNames?.query ?? DEFAULT_SUBSCRIPTION_KEY_NAMES.query,
    },
    operations,
    file: infoFile,
    specificationFile: specification?.file ?? join(apiDir, 'specification.yaml'),
  };
  if (p.serviceUrl !== undefined && p.serviceUrl !== '') api.serviceUrl = p.serviceUrl;
  if (policy) api.policy = policy;
  return api;
}

function lineOf(source: ParsedSource, path: PropertyKey[]): { line?: number } {
  const line = locateLine(source.text, path);
  return line === undefined ? {} : { line };
}

export function loadApis(root: string, problems: Problems): ApiConfig[] {
  const apisDir = join(root, 'apis');
  const apis: ApiConfig[] = [];
  for (const id of listDirectories(apisDir)) {
    if (id.includes(';rev=')) continue;
    const api = loadApi(apisDir, id, problems);
    if (api) apis.push(api);
  }
  const byPath = new Map<string, ApiConfig>();
  for (const api of apis) {
    const key = api.path.toLowerCase();
    const other = byPath.get(key);
    if (other) {
      const text = readText(api.file, problems) ?? '';
      const line = locateLine(text, ['properties', 'path']);
      problems.add({
        file: api.file,
        ...(line !== undefined ? { line } : {}),
        field: 'properties.path',
        message: `"${api.path}" is also the path of API "${other.id}"; each API needs its own path`,
      });
    } else {
      byPath.set(key, api);
    }
  }
  return apis;
}
