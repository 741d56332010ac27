import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import { compileGateway, GatewayCompileError } from '../../mocks/apim/gateway/compiled-gateway.ts';

/**
 * What `spillway gateway check` does (gateway-command.ts holds its command line): loads an APIOps
 * folder and compiles its policies as the emulator would, listing what the emulator does not
 * support and what is wrong. A module of its own so that the command line does not load the
 * configuration reader and the policy compiler on every start (commands.ts).
 */

export interface CheckResult {
  ok: boolean;
  config: string;
  summary?: { apis: number; operations: number; products: number; backends: number; policies: number; fragments: number; subscriptions: number; regions: string[] };
  /** Real APIM features the emulator does not run. */
  unsupported: { file: string; line?: number; column?: number; element?: string; message: string }[];
  /** Everything else that is wrong (typos, bad values, references to nothing). */
  problems: { file: string; line?: number; column?: number; element?: string; field?: string; message: string }[];
}

export function checkGatewayConfig(dir: string): CheckResult {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig(dir);
  } catch (error) {
    if (error instanceof Error && 'problems' in error) {
      return { ok: false, config: dir, unsupported: [], problems: (error as Error & { problems: CheckResult['problems'] }).problems };
    }
    throw error;
  }
  const summary = {
    apis: config.apis.length,
    operations: config.apis.reduce((sum, api) => sum + api.operations.length, 0),
    products: config.products.length,
    backends: config.backends.size,
    policies: config.policies.length,
    fragments: config.fragments.size,
    subscriptions: config.subscriptions.length,
    regions: config.regions.map((r) => r.name),
  };
  try {
    compileGateway(config);
    return { ok: true, config: dir, summary, unsupported: [], problems: [] };
  } catch (error) {
    if (!(error instanceof GatewayCompileError)) throw error;
    const shape = (p: (typeof error.problems)[number]) => ({ file: p.file, line: p.line, column: p.column, element: p.element, message: p.message });
    return {
      ok: false,
      config: dir,
      summary,
      unsupported: error.problems.filter((p) => p.code === 'unsupported-element' || p.code === 'unsupported-attribute').map(shape),
      problems: error.problems.filter((p) => !(p.code === 'unsupported-element' || p.code === 'unsupported-attribute')).map(shape),
    };
  }
}

export function formatCheck(result: CheckResult): string {
  const where = (p: { file: string; line?: number; column?: number; element?: string; field?: string }): string =>
    `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}${p.element ? `: ${p.element}` : ''}${p.field ? `: ${p.field}` : ''}`;
  const lines: string[] = [];
  if (result.summary) {
    const s = result.summary;
    lines.push(`${result.config}: ${s.apis} APIs (${s.operations} operations), ${s.products} products, ${s.backends} backends, ${s.policies} policy documents, ${s.fragments} fragments, ${s.subscriptions} subscriptions, regions ${s.regions.join(', ')}`);
  }
  if (result.ok) lines.push('ok: every policy compiles and every element is supported by the emulator');
  if (result.unsupported.length > 0) {
    lines.push(`not supported by the emulator (${result.unsupported.length}):`);
    for (const p of result.unsupported) lines.push(`  ${where(p)}: ${p.message}`);
  }
  if (result.problems.length > 0) {
    lines.push(`problems (${result.problems.length}):`);
    for (const p of result.problems) lines.push(`  ${where(p)}: ${p.message}`);
  }
  return `${lines.join('\n')}\n`;
}

