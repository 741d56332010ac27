import type { CompiledGateway } from './compiled-gateway.ts';

/**
 * A compiled gateway whose configuration can be replaced while it serves: every call goes to the
 * configuration current at that moment, so a request already under way keeps the policies it
 * started with (its scope chain was taken when it arrived) and the next one gets the new ones.
 * What a config source (config-source.ts) swaps; instances hold this one object throughout.
 *
 * Breakers and counters live in each instance (instance-state.ts), built from the backends the
 * first configuration had: a backend added later is served without a breaker until a restart.
 */
export interface LiveGateway {
  readonly gateway: CompiledGateway;
  current(): CompiledGateway;
  swap(next: CompiledGateway): void;
}

export function liveGateway(initial: CompiledGateway): LiveGateway {
  let current = initial;
  const gateway: CompiledGateway = {
    get config() {
      return current.config;
    },
    chainFor: (api, operation, product) => current.chainFor(api, operation, product),
    subscriptionByKey: (key) => current.subscriptionByKey(key),
    productFor: (subscription, api) => current.productFor(subscription, api),
  };
  return {
    gateway,
    current: () => current,
    swap(next) {
      current = next;
    },
  };
}
