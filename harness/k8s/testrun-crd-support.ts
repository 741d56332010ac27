import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * For tests: k6-operator's TestRun CRD schema (reference data kept outside the repository, at
 * ../shared/reference/k6-operator/, never copied in) as a validator.
 *
 * The CRD's openAPIV3Schema is converted with zod's JSON-schema import. One change makes it as
 * strict as the API server with field validation on (`kubectl apply`'s default): a field the
 * schema does not declare is an error, where plain JSON-schema would let a misspelt
 * `paralelism` through and the server would silently drop it.
 */
export const testRunCrdFile = fileURLToPath(new URL('../../../shared/reference/k6-operator/k6.io_testruns.yaml', import.meta.url));

type Schema = Record<string, unknown>;

/** Undeclared fields become errors, except where the schema keeps unknown fields on purpose. */
function rejectUnknownFields(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  for (const key of ['properties', 'patternProperties'] as const) {
    const properties = copy[key] as Record<string, Schema> | undefined;
    if (properties) copy[key] = Object.fromEntries(Object.entries(properties).map(([name, inner]) => [name, rejectUnknownFields(inner)]));
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    const inner = copy[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) copy[key] = rejectUnknownFields(inner as Schema);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = copy[key];
    if (Array.isArray(list)) copy[key] = list.map((inner: Schema) => rejectUnknownFields(inner));
  }
  if (copy.properties && copy.additionalProperties === undefined && copy['x-kubernetes-preserve-unknown-fields'] !== true) copy.additionalProperties = false;
  return copy;
}

export interface TestRunValidator {
  /** The problems with a TestRun, each as `path: message`; empty when it validates. */
  problems(manifest: unknown): string[];
}

/** The validator, or null when the reference CRD is not there (the caller skips, saying why). */
export function loadTestRunValidator(): TestRunValidator | null {
  if (!existsSync(testRunCrdFile)) return null;
  const crd = parse(readFileSync(testRunCrdFile, 'utf8')) as { spec: { names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  if (crd.spec.names.kind !== 'TestRun') throw new Error(`${testRunCrdFile}: not the TestRun CRD (kind ${crd.spec.names.kind})`);
  const version = crd.spec.versions.find((v) => v.name === 'v1alpha1');
  if (!version) throw new Error(`${testRunCrdFile}: no v1alpha1 version`);
  const schema = z.fromJSONSchema(rejectUnknownFields(version.schema.openAPIV3Schema) as Parameters<typeof z.fromJSONSchema>[0], { defaultTarget: 'openapi-3.0' });
  return {
    problems(manifest) {
      const result = schema.safeParse(manifest);
      const issues = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
      // The schema leaves apiVersion and kind free-form strings; the group and kind are the CRD's.
      const { apiVersion, kind } = (manifest ?? {}) as { apiVersion?: unknown; kind?: unknown };
      if (apiVersion !== 'k6.io/v1alpha1') issues.push(`apiVersion: "${String(apiVersion)}" is not k6.io/v1alpha1`);
      if (kind !== crd.spec.names.kind) issues.push(`kind: "${String(kind)}" is not ${crd.spec.names.kind}`);
      return issues;
    },
  };
}
