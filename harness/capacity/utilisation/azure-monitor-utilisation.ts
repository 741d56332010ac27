import type { TokenCredential } from '@azure/identity';
import type { Metric, MetricsClient, MetricsClientOptions } from '@azure/monitor-query-metrics';
import { UserFacingError } from '../../contracts/user-facing-error.ts';
import { classifyQueryFailure, type QueryFailure } from '../../evidence/log-analytics/query-failure.ts';
import { apimResourceIdHint, parseApimResourceId } from './apim-resource-id.ts';
import type { UtilisationMetric, UtilisationReading, UtilisationSource, UtilisationWindow } from './utilisation-source.ts';

/**
 * A real API Management's own utilisation, read from Azure Monitor's platform metrics for the
 * service (Microsoft.ApiManagement/service) through @azure/monitor-query-metrics' MetricsClient:
 *
 * - Capacity on the classic tiers (Developer, Basic, Standard, Premium): percent, Average and
 *   Maximum, PT1M. "For skus other than Premium, 'Max' aggregation will show the value as 0."
 * - CpuPercent_Gateway and MemoryPercent_Gateway ("CPU/Memory Percentage of Gateway", of the
 *   "SKUv2 service") on the v2 tiers (Basic v2, Standard v2, Premium v2): percent, Average and
 *   Maximum, PT1M.
 *
 * (learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-apimanagement-service-metrics
 * and learn.microsoft.com/azure/api-management/api-management-capacity, "Available capacity metrics".)
 *
 * PT1M is the finest grain Azure Monitor has for them, so a window is read as the whole
 * minutes it overlaps: a step shorter than a minute, or not on minute boundaries, gets values
 * that include load from outside it, and the reading says so. Each minute's average counts as
 * much as the minute overlaps the window; the max is the highest of the minutes' maximums.
 *
 * MetricsClient queries the regional data plane (https://<region>.metrics.monitor.azure.com,
 * metrics:getBatch), which answers only for resources in that region: the service's primary
 * location. Its token is for https://management.azure.com/.default; the identity needs
 * Monitoring Reader (Microsoft.Insights/metrics/read) on the APIM resource. Tokens are never
 * logged: this file writes nothing, and its errors carry Azure's messages, not the request.
 */
export type ApimTierFamily = 'classic' | 'v2';

export const classicTierMetrics = ['Capacity'] as const;
export const v2TierMetrics = ['CpuPercent_Gateway', 'MemoryPercent_Gateway'] as const;
export const apimMetricNamespace = 'Microsoft.ApiManagement/service';
/** Azure Monitor's finest grain for these metrics. */
export const metricGrainMs = 60_000;

const tierGuidance =
  'Capacity is published for the classic tiers (Developer, Basic, Standard, Premium), CpuPercent_Gateway and MemoryPercent_Gateway for the v2 tiers (Basic v2, Standard v2, Premium v2); the Consumption tier has none of them';

export class AzureMonitorError extends UserFacingError {}

export interface AzureMonitorUtilisationOptions {
  /** The APIM service's ARM resource id (target file `metrics.resourceId`). */
  resourceId: string;
  /** The service's primary location as Azure names it in endpoints ("eastus"), or its display name ("East US"). */
  region: string;
  /** Which metrics to read; absent: all three, keeping those the service publishes. */
  tier?: ApimTierFamily;
  /** Default: DefaultAzureCredential (environment, workload or managed identity, Azure CLI, ...). */
  credential?: TokenCredential;
  /** Default: https://<region>.metrics.monitor.azure.com (set for a sovereign cloud, with clientOptions.audience). */
  endpoint?: string;
  /** For tests: an httpClient that answers in memory (mocks/log-analytics/msw-http-client.ts). */
  clientOptions?: MetricsClientOptions;
}

/** "East US" → "eastus": Azure's location name from its display name. */
export function locationName(region: string): string {
  return region.toLowerCase().replace(/\s+/g, '');
}

export class AzureMonitorUtilisation implements UtilisationSource {
  readonly describe: string;
  readonly #options: AzureMonitorUtilisationOptions;
  readonly #metricNames: readonly string[];
  readonly #endpoint: string;
  #client: MetricsClient | undefined;

  constructor(options: AzureMonitorUtilisationOptions) {
    const parsed = parseApimResourceId(options.resourceId);
    if (!parsed) throw new AzureMonitorError(`metrics.resourceId ${JSON.stringify(options.resourceId)} ${apimResourceIdHint}`);
    const location = locationName(options.region);
    if (!/^[a-z0-9]+$/.test(location)) throw new AzureMonitorError(`metrics.region ${JSON.stringify(options.region)} must be an Azure location such as eastus (or its display name, East US)`);
    this.#options = options;
    this.#metricNames = options.tier === 'classic' ? classicTierMetrics : options.tier === 'v2' ? v2TierMetrics : [...classicTierMetrics, ...v2TierMetrics];
    this.#endpoint = options.endpoint ?? `https://${location}.metrics.monitor.azure.com`;
    this.describe = `azure monitor: ${this.#metricNames.join(', ')} of API Management ${parsed.serviceName} (${location}), 1-minute grain`;
  }

  start(): void {}

  async stop(): Promise<void> {}

  async #clientFor(): Promise<MetricsClient> {
    if (!this.#client) {
      // Loaded only when no credential is given: @azure/identity brings MSAL with it.
      const credential = this.#options.credential ?? new (await import('@azure/identity')).DefaultAzureCredential();
      // The SDK too, on first read: with Azure's core pipeline beneath it, a fifth of a second
      // that every `spillway` command paid at start-up (harness/cli/startup-imports.test.ts).
      const { MetricsClient } = await import('@azure/monitor-query-metrics');
      this.#client = new MetricsClient(this.#endpoint, credential, this.#options.clientOptions);
    }
    return this.#client;
  }

  async read(window: UtilisationWindow): Promise<UtilisationReading> {
    if (!(window.end > window.start)) throw new RangeError(`a utilisation window must end after it starts (${window.start}..${window.end})`);
    const from = Math.floor(window.start / metricGrainMs) * metricGrainMs;
    const to = Math.ceil(window.end / metricGrainMs) * metricGrainMs;
    const client = await this.#clientFor();
    let metrics: Metric[];
    try {
      const [result] = await client.queryResources([this.#options.resourceId], [...this.#metricNames], apimMetricNamespace, {
        startTime: new Date(from),
        endTime: new Date(to),
        interval: 'PT1M',
        aggregation: 'Average,Maximum',
      });
      metrics = result?.metrics ?? [];
    } catch (error) {
      throw new AzureMonitorError(failureMessage(classifyQueryFailure(error), this.#options, this.#endpoint), { cause: error });
    }

    const minutes = (to - from) / metricGrainMs;
    const read = this.#metricNames.map((name) => ({ name, ...minuteFigures(metricNamed(metrics, name), window) }));
    const notes: string[] = [];
    let kept = read;
    if (this.#options.tier === undefined) {
      // Asked for both tiers' metrics: keep the family the service publishes, drop the other's empty series.
      const hasData = (names: readonly string[]): boolean => read.some((m) => names.includes(m.name) && m.samples > 0);
      if (hasData(classicTierMetrics) && !hasData(v2TierMetrics)) kept = read.filter((m) => !(v2TierMetrics as readonly string[]).includes(m.name));
      else if (hasData(v2TierMetrics) && !hasData(classicTierMetrics)) kept = read.filter((m) => !(classicTierMetrics as readonly string[]).includes(m.name));
    }
    const empty = kept.filter((m) => m.samples === 0);
    if (empty.length > 0) notes.push(`no data yet for ${empty.map((m) => m.name).join(', ')} in this window (${tierGuidance}; Azure Monitor publishes a minute a few minutes after it ends)`);
    const figures: UtilisationMetric[] = kept.map((m) => {
      // Outside Premium, Capacity's Maximum reads 0 whatever the load: not a maximum, so none is given.
      const fakeMax = m.name === 'Capacity' && m.max === 0 && (m.average ?? 0) > 0;
      if (fakeMax) notes.push("Capacity's Maximum is only published on the Premium tier (elsewhere it reads 0): no max is shown");
      return { name: m.name, unit: 'percent', average: m.average, max: fakeMax ? null : m.max, samples: m.samples };
    });
    if (from !== window.start || to !== window.end) {
      notes.push(
        `Azure Monitor's finest grain for these metrics is 1 minute: this ${formatSeconds(window.end - window.start)} window is read from the ${minutes} minute(s) it overlaps (${isoMinute(from)}–${isoMinute(to)} UTC), whose values include load outside it`,
      );
    }
    const complete = kept.every((m) => m.samples === minutes);
    if (!complete && empty.length < kept.length) notes.push(`some of the window's ${minutes} minute(s) are not published yet: read again in a few minutes`);
    return { metrics: figures, complete, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
  }
}

/**
 * The series of one metric, matched by the id's last segment (`…/metrics/CpuPercent_Gateway`):
 * the client hands back the localized display name ("CPU Percentage of Gateway") as `name`, and
 * position is no guide once a metric is left out of the answer.
 */
function metricNamed(metrics: readonly Metric[], name: string): Metric | undefined {
  return metrics.find((m) => m.id?.toLowerCase().endsWith(`/metrics/${name.toLowerCase()}`)) ?? metrics.find((m) => m.name === name);
}

function minuteFigures(metric: Metric | undefined, window: UtilisationWindow): { average: number | null; max: number | null; samples: number } {
  let weighted = 0;
  let covered = 0;
  let samples = 0;
  let max: number | null = null;
  for (const series of metric?.timeseries ?? []) {
    for (const point of series.data ?? []) {
      if (typeof point.average !== 'number') continue;
      const start = point.timeStamp.getTime();
      const overlap = Math.min(start + metricGrainMs, window.end) - Math.max(start, window.start);
      if (overlap <= 0) continue;
      weighted += point.average * overlap;
      covered += overlap;
      samples++;
      if (typeof point.maximum === 'number') max = Math.max(max ?? point.maximum, point.maximum);
    }
  }
  return { average: covered > 0 ? weighted / covered : null, max, samples };
}

function failureMessage(failure: QueryFailure, options: AzureMonitorUtilisationOptions, endpoint: string): string {
  const service = `API Management ${options.resourceId}`;
  switch (failure.kind) {
    case 'credential':
      return (
        `cannot read the utilisation of ${service} from Azure Monitor: no Azure credential could get a token (scope https://management.azure.com/.default). ` +
        'Sign in with `az login` (or `azd auth login`), set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, or run where a managed identity is assigned. ' +
        `DefaultAzureCredential said: ${truncate(failure.detail, 900)}`
      );
    case 'unauthorized':
      return `Azure Monitor did not accept the token Spillway signed in with (${truncate(failure.detail, 300)}) reading ${service}: the identity may belong to another tenant than the service's; set AZURE_TENANT_ID to its tenant, or sign in to it (az login --tenant <tenant>)`;
    case 'forbidden':
      return (
        `the identity Spillway signed in as may not read the metrics of ${service} (${truncate(failure.detail, 300)}): give it the Monitoring Reader role on the API Management resource ` +
        `(az role assignment create --assignee <its object id> --role "Monitoring Reader" --scope ${options.resourceId})`
      );
    case 'not-found':
      return `Azure Monitor has no ${service} (${truncate(failure.detail, 300)}): check metrics.resourceId in the target file: it ${apimResourceIdHint}`;
    case 'refused': {
      const metric = /metric:\s*([A-Za-z_]+)/.exec(failure.detail)?.[1] ?? [...classicTierMetrics, ...v2TierMetrics].find((name) => failure.detail.includes(name));
      if (metric) return `Azure Monitor does not serve the metric ${metric} for ${service} (${truncate(failure.detail, 300)}): ${tierGuidance}; set metrics.tier in the target file to the service's tier family (classic or v2)`;
      if (/region|location/i.test(failure.detail)) return `Azure Monitor's endpoint ${endpoint} refused ${service} (${truncate(failure.detail, 300)}): set metrics.region in the target file to the service's primary location (az apim show -g <group> -n <name> --query location -o tsv)`;
      return `Azure Monitor refused Spillway's metrics query for ${service} (${truncate(failure.detail, 600)}): this is a bug in the query Spillway sends; please report it with this message`;
    }
    case 'throttled':
      return `Azure Monitor kept throttling Spillway's metrics queries (429) for ${service}: ${truncate(failure.detail, 300)}; read again in a minute`;
    case 'transient':
      return `Azure Monitor kept failing Spillway's metrics queries for ${service} (at ${endpoint}): ${truncate(failure.detail, 300)}`;
    case 'other':
      return `reading the metrics of ${service} from Azure Monitor (${endpoint}) failed: ${truncate(failure.detail, 600)}`;
  }
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
