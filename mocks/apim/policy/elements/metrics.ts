/** `<llm-emit-token-metric>` / `<azure-openai-emit-token-metric>`. */
import { ElementReader } from '../element-reader.ts';
import type { EmitTokenMetricPolicy, MetricDimension } from '../policy-ast.ts';
import { nodeBase } from './element-compiler.ts';
import type { ElementCompiler } from './element-compiler.ts';

/** Dimensions APIM fills in itself, so they may be given without a value (research note §5). */
export const DEFAULT_METRIC_DIMENSIONS: readonly string[] = ['API ID', 'Operation ID', 'Product ID', 'User ID', 'Subscription ID', 'Location', 'Gateway ID', 'Backend ID'];

/**
 * Azure Monitor allows 10 dimension keys per metric. The newest llm-emit-token-metric page says
 * 5 custom dimensions while the older pages say 10; the emulator rejects only what every
 * version rejects.
 */
export const MAX_METRIC_DIMENSIONS = 10;

export const compileEmitTokenMetric: ElementCompiler = (r): EmitTokenMetricPolicy | null => {
  const base = nodeBase(r);
  const kind = r.name === 'azure-openai-emit-token-metric' ? 'azure-openai-emit-token-metric' : 'llm-emit-token-metric';
  const namespace = r.literalString('namespace') ?? 'API Management';
  if (kind === 'azure-openai-emit-token-metric') r.unsupportedAttribute('value', 'the token metrics carry the token counts; a custom metric value is not emulated');
  const dimensions: MetricDimension[] = [];
  const seen = new Set<string>();
  for (const child of r.children()) {
    const c = new ElementReader(r.ctx, child);
    if (child.name !== 'dimension') {
      c.problem('invalid-structure', child.start, `<${r.name}> may only contain <dimension> elements, found <${child.name}>`);
      continue;
    }
    const name = c.string('name', { required: true });
    const value = c.string('value');
    c.noContent();
    c.finish();
    if (!name) continue;
    if (name.kind === 'literal') {
      const key = name.value.toLowerCase();
      if (seen.has(key)) c.problem('invalid-structure', child.start, `duplicate dimension '${name.value}'`);
      seen.add(key);
      if (!c.has('value') && !DEFAULT_METRIC_DIMENSIONS.some((d) => d.toLowerCase() === key)) {
        c.problem('missing-attribute', child.start, `dimension '${name.value}' needs a 'value'; only the default dimensions (${DEFAULT_METRIC_DIMENSIONS.join(', ')}) may omit it`);
        continue;
      }
    } else if (!c.has('value')) {
      c.problem('missing-attribute', child.start, "a dimension whose name is an expression needs a 'value'");
      continue;
    }
    if (c.has('value') && !value) continue;
    dimensions.push({ at: c.at, name, value });
  }
  if (!r.element.content.some((c) => c.kind === 'element' && c.name === 'dimension')) {
    r.problem('invalid-structure', r.element.start, `<${r.name}> requires at least one <dimension>`);
  }
  if (dimensions.length > MAX_METRIC_DIMENSIONS) {
    r.problem('invalid-structure', r.element.start, `at most ${MAX_METRIC_DIMENSIONS} dimensions are allowed, found ${dimensions.length}`);
  }
  return { ...base, kind, namespace, dimensions };
};
