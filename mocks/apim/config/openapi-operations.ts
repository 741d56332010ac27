/**
 * The operations of an API, read from its specification (specification.yaml or .json, OpenAPI 3
 * or Swagger 2) the way APIM's import creates them: one operation per path and method, named by
 * its operationId, with the path as the URL template.
 *
 * Choices: an operation without an operationId is a problem (APIM would invent a name, which a
 * team could not then use for operations/<name>/policy.xml); parameters are read from the path
 * item and the operation, with local `$ref`s to components/parameters (or Swagger 2's
 * parameters) followed one level.
 */
import type { Problems } from './config-error.ts';
import type { ParsedSource } from './source-files.ts';
import { locateLine } from './source-files.ts';
import type { QueryParameterSpec } from './types.ts';

export interface SpecOperation {
  id: string;
  method: string;
  urlTemplate: string;
  templateParameters: string[];
  queryParameters: QueryParameterSpec[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{name}` parameters of a template, in order. */
export function templateParameterNames(template: string): string[] {
  return [...template.split('?')[0]!.matchAll(/\{\*?([^{}]+)\}/g)].map((m) => m[1] as string);
}

function resolveParameter(spec: JsonObject, parameter: unknown): JsonObject | undefined {
  if (!isObject(parameter)) return undefined;
  const ref = parameter['$ref'];
  if (typeof ref !== 'string') return parameter;
  const match = /^#\/(components\/parameters|parameters)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const container = match[1] === 'parameters' ? spec['parameters'] : isObject(spec['components']) ? spec['components']['parameters'] : undefined;
  const target = isObject(container) ? container[decodeURIComponent(match[2] as string).replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObject(target) ? target : undefined;
}

function queryParameters(spec: JsonObject, lists: unknown[]): QueryParameterSpec[] {
  const byName = new Map<string, QueryParameterSpec>();
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const parameter = resolveParameter(spec, raw);
      if (!parameter || parameter['in'] !== 'query' || typeof parameter['name'] !== 'string') continue;
      // Operation-level parameters come last and override path-level ones, as OpenAPI says.
      byName.set(parameter['name'], { name: parameter['name'], required: parameter['required'] === true });
    }
  }
  return [...byName.values()];
}

export function operationsFromSpecification(source: ParsedSource, problems: Problems): SpecOperation[] {
  const spec = source.value;
  const at = (path: PropertyKey[], field: string, message: string): void => {
    const line = locateLine(source.text, path);
    problems.add({ file: source.file, ...(line !== undefined ? { line } : {}), field, message });
  };
  if (!isObject(spec) || (typeof spec['openapi'] !== 'string' && spec['swagger'] !== '2.0')) {
    problems.add({ file: source.file, message: 'not an OpenAPI 3 or Swagger 2.0 document (no "openapi" or "swagger" field)' });
    return [];
  }
  const paths = spec['paths'];
  if (!isObject(paths)) {
    at(['paths'], 'paths', 'is required and must be an object of paths');
    return [];
  }
  const operations: SpecOperation[] = [];
  const seen = new Map<string, string>();
  for (const [urlTemplate, item] of Object.entries(paths)) {
    const itemField = `paths["${urlTemplate}"]`;
    if (!urlTemplate.startsWith('/')) {
      at(['paths', urlTemplate], itemField, 'a path must start with "/"');
      continue;
    }
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const id = operation['operationId'];
      const field = `${itemField}.${method}.operationId`;
      if (typeof id !== 'string' || id === '') {
        at(['paths', urlTemplate, method], field, 'is required: the emulator names operations (and operations/<name>/ folders) by operationId');
        continue;
      }
      const lower = id.toLowerCase();
      const previous = seen.get(lower);
      if (previous !== undefined) {
        at(['paths', urlTemplate, method, 'operationId'], field, `"${id}" is also the operationId of ${previous}`);
        continue;
      }
      seen.set(lower, `${method.toUpperCase()} ${urlTemplate}`);
      operations.push({
        id,
        method: method.toUpperCase(),
        urlTemplate,
        templateParameters: templateParameterNames(urlTemplate),
        queryParameters: queryParameters(spec, [item['parameters'], operation['parameters']]),
      });
    }
  }
  return operations;
}
