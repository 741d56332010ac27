import type { ApiConfig, GatewayConfig, OperationConfig, PolicySource, ProductConfig, SubscriptionConfig } from '../config/types.ts';
import { compileFragmentSet, compilePolicyDocument, PolicyCompileError, type CompiledPolicy, type PolicyProblem } from '../policy/index.ts';
import type { ScopeChain } from './policy-executor.ts';
import { UserFacingError } from '../../../harness/contracts/user-facing-error.ts';

/**
 * A configuration with every policy compiled, ready to serve. Compiling happens once, up
 * front: every problem in every document is gathered, and a configuration with any problem
 * never serves (GatewayCompileError lists them all, which is what `gateway check` prints).
 */
export class GatewayCompileError extends UserFacingError {
  readonly problems: readonly PolicyProblem[];
  constructor(problems: readonly PolicyProblem[]) {
    super(`the gateway configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.element}: ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}

export interface CompiledGateway {
  readonly config: GatewayConfig;
  /** The policies that apply to a request, most general first. */
  chainFor(api: ApiConfig, operation: OperationConfig, product: ProductConfig | null): ScopeChain;
  subscriptionByKey(key: string): SubscriptionConfig | undefined;
  /** The product a subscription gives access to this API through, or null (all-APIs or API-scoped subscriptions). */
  productFor(subscription: SubscriptionConfig, api: ApiConfig): { allowed: boolean; product: ProductConfig | null };
}

export function compileGateway(config: GatewayConfig): CompiledGateway {
  const problems: PolicyProblem[] = [];
  const fragments = compileFragmentSet(new Map([...config.fragments].map(([id, f]) => [id, { xml: f.xml, file: f.file }])), { namedValues: config.namedValues });
  problems.push(...fragments.problems);

  const compiled = new Map<PolicySource, CompiledPolicy>();
  for (const source of config.policies) {
    try {
      compiled.set(source, compilePolicyDocument(source.xml, { file: source.file, scope: source.scope, namedValues: config.namedValues, fragments: fragments.fragments }));
    } catch (error) {
      if (error instanceof PolicyCompileError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new GatewayCompileError(problems);

  const policyOf = (source: PolicySource | undefined): CompiledPolicy | null => (source ? (compiled.get(source) ?? null) : null);
  const globalPolicy = policyOf(config.globalPolicy);
  const keys = new Map<string, SubscriptionConfig>();
  for (const subscription of config.subscriptions) {
    keys.set(subscription.primaryKey, subscription);
    if (subscription.secondaryKey) keys.set(subscription.secondaryKey, subscription);
  }
  const products = new Map(config.products.map((product) => [product.id, product]));

  return {
    config,
    chainFor(api, operation, product) {
      return [
        { scope: 'global', policy: globalPolicy },
        ...(product ? [{ scope: 'product', policy: policyOf(product.policy) }] : []),
        { scope: 'api', policy: policyOf(api.policy) },
        { scope: 'operation', policy: policyOf(operation.policy) },
      ];
    },
    subscriptionByKey: (key) => keys.get(key),
    productFor(subscription, api) {
      if (subscription.scope.kind === 'all') return { allowed: true, product: null };
      if (subscription.scope.kind === 'api') return { allowed: subscription.scope.id === api.id, product: null };
      const product = products.get(subscription.scope.id);
      return { allowed: product?.apis.includes(api.id) ?? false, product: product ?? null };
    },
  };
}
