/**
 * emulator.json: validated with its zod schema, then checked against the artifacts (a
 * subscription's scope must name a loaded product or API) and against itself (unique
 * subscription ids and keys, unique regions and ports, Front Door origins naming regions).
 * Keys are never put in problem messages.
 */
import type { Problems } from './config-error.ts';
import { CAPACITY_DEFAULTS, emulatorFileSchema, FRONT_DOOR_DEFAULTS } from './emulator-schema.ts';
import type { EmulatorFile } from './emulator-schema.ts';
import { isFile, locateLine, readJsonFile, validate } from './source-files.ts';
import type { ParsedSource } from './source-files.ts';
import type { CapacityConfig, FrontDoorConfig, RegionConfig, SubscriptionConfig, SubscriptionScope } from './types.ts';

export interface EmulatorSource {
  source?: ParsedSource;
  data?: EmulatorFile;
}

export function readEmulatorFile(file: string, problems: Problems): EmulatorSource {
  if (!isFile(file)) {
    problems.add({ file, message: 'missing: the emulator needs an emulator.json beside the artifacts (regions and subscriptions; see docs/apim-config.md)' });
    return {};
  }
  const source = readJsonFile(file, problems);
  if (!source) return {};
  const data = validate(emulatorFileSchema, source, problems);
  return data ? { source, data } : { source };
}

export interface EmulatorSettings {
  subscriptions: SubscriptionConfig[];
  regions: RegionConfig[];
  capacity: CapacityConfig;
  frontDoor?: FrontDoorConfig;
}

export interface ScopeTargets {
  apiIds: ReadonlySet<string>;
  productIds: ReadonlySet<string>;
}

function parseScope(scope: string): SubscriptionScope {
  if (scope === 'all') return { kind: 'all' };
  const colon = scope.indexOf(':');
  const kind = scope.slice(0, colon) === 'api' ? 'api' : 'product';
  return { kind, id: scope.slice(colon + 1) };
}

export function resolveEmulator(data: EmulatorFile, source: ParsedSource, targets: ScopeTargets, problems: Problems): EmulatorSettings {
  const at = (path: PropertyKey[], field: string, message: string): void => {
    const line = locateLine(source.text, path);
    problems.add({ file: source.file, ...(line !== undefined ? { line } : {}), field, message });
  };

  const subscriptionIds = new Map<string, number>();
  const keys = new Map<string, string>();
  const subscriptions = data.subscriptions.map((s, index): SubscriptionConfig => {
    const field = `subscriptions[${index}]`;
    const previous = subscriptionIds.get(s.id.toLowerCase());
    if (previous !== undefined) at(['subscriptions', index, 'id'], `${field}.id`, `"${s.id}" is also the id of subscriptions[${previous}]`);
    else subscriptionIds.set(s.id.toLowerCase(), index);

    const scope = parseScope(s.scope);
    if (scope.kind === 'product' && !targets.productIds.has(scope.id)) {
      at(['subscriptions', index, 'scope'], `${field}.scope`, `product "${scope.id}" is not in products/ (${[...targets.productIds].join(', ') || 'none defined'})`);
    }
    if (scope.kind === 'api' && !targets.apiIds.has(scope.id)) {
      at(['subscriptions', index, 'scope'], `${field}.scope`, `API "${scope.id}" is not in apis/ (${[...targets.apiIds].join(', ') || 'none defined'})`);
    }

    const keyFields: Array<['primaryKey' | 'secondaryKey', string | undefined]> = [
      ['primaryKey', s.primaryKey],
      ['secondaryKey', s.secondaryKey],
    ];
    for (const [name, key] of keyFields) {
      if (key === undefined) continue;
      const owner = keys.get(key);
      // The key itself stays out of the message: it is a credential, even when local.
      if (owner !== undefined) at(['subscriptions', index, name], `${field}.${name}`, `the same key is already ${owner}; a key must identify one subscription`);
      else keys.set(key, `${field}.${name} ("${s.id}")`);
    }

    const subscription: SubscriptionConfig = {
      id: s.id,
      displayName: s.displayName ?? s.id,
      scope,
      primaryKey: s.primaryKey,
      state: s.state ?? 'active',
    };
    if (s.secondaryKey !== undefined) subscription.secondaryKey = s.secondaryKey;
    return subscription;
  });

  const regionNames = new Map<string, number>();
  const ports = new Map<number, string>();
  const regions = data.regions.map((r, index): RegionConfig => {
    const previous = regionNames.get(r.name.toLowerCase());
    if (previous !== undefined) at(['regions', index, 'name'], `regions[${index}].name`, `"${r.name}" is already listed as regions[${previous}]; list each region once`);
    else regionNames.set(r.name.toLowerCase(), index);
    if (r.port !== undefined && r.port !== 0) {
      const other = ports.get(r.port);
      if (other !== undefined) at(['regions', index, 'port'], `regions[${index}].port`, `${r.port} is already the port of ${other}`);
      else ports.set(r.port, `region "${r.name}"`);
    }
    const region: RegionConfig = { name: r.name, units: r.units ?? 1, primary: index === 0 };
    if (r.port !== undefined) region.port = r.port;
    return region;
  });

  const capacity: CapacityConfig = {
    enabled: data.capacity?.enabled ?? false,
    requestsPerSecondPerUnit: data.capacity?.requestsPerSecondPerUnit ?? CAPACITY_DEFAULTS.requestsPerSecondPerUnit,
    queueLength: data.capacity?.queueLength ?? CAPACITY_DEFAULTS.queueLength,
    queueTimeoutSeconds: data.capacity?.queueTimeoutSeconds ?? CAPACITY_DEFAULTS.queueTimeoutSeconds,
  };

  const settings: EmulatorSettings = { subscriptions, regions, capacity };
  const fd = data.frontDoor;
  if (fd) {
    if (fd.port !== undefined && fd.port !== 0 && ports.has(fd.port)) {
      at(['frontDoor', 'port'], 'frontDoor.port', `${fd.port} is already the port of ${ports.get(fd.port)}`);
    }
    const originRegions = new Set<string>();
    fd.origins.forEach((o, index) => {
      const field = `frontDoor.origins[${index}].region`;
      if (!regionNames.has(o.region.toLowerCase())) {
        at(['frontDoor', 'origins', index, 'region'], field, `"${o.region}" is not one of the regions (${data.regions.map((r) => r.name).join(', ')})`);
      } else if (originRegions.has(o.region.toLowerCase())) {
        at(['frontDoor', 'origins', index, 'region'], field, `"${o.region}" already has an origin`);
      }
      originRegions.add(o.region.toLowerCase());
    });
    const frontDoor: FrontDoorConfig = {
      probeIntervalSeconds: fd.probeIntervalSeconds,
      sampleSize: fd.sampleSize,
      successfulSamplesRequired: fd.successfulSamplesRequired,
      probePath: fd.probePath ?? FRONT_DOOR_DEFAULTS.probePath,
      probeMethod: fd.probeMethod ?? FRONT_DOOR_DEFAULTS.probeMethod,
      origins: fd.origins.map((o) => ({ region: o.region, priority: o.priority, weight: o.weight ?? FRONT_DOOR_DEFAULTS.weight, enabled: o.enabled ?? true })),
    };
    if (fd.port !== undefined) frontDoor.port = fd.port;
    settings.frontDoor = frontDoor;
  }
  return settings;
}
