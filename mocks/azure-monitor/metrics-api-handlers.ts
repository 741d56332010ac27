import { http, HttpResponse, type RequestHandler } from 'msw';

/**
 * An offline Azure Monitor metrics data plane for @azure/monitor-query-metrics' MetricsClient,
 * which calls (its dist/esm/api/operations.js and metricsContext.js, version 1.0.0):
 *
 *   POST https://<region>.metrics.monitor.azure.com/subscriptions/<subscription>/metrics:getBatch
 *        ?api-version=2024-02-01&starttime=…&endtime=…&interval=PT1M&metricnamespace=…
 *        &metricnames=A,B&aggregation=…        body {"resourceids": ["…"]}
 *
 * and deserializes `{ values: [{ starttime, endtime, interval, namespace, resourceregion,
 * resourceid, value: [{ id, name: { value, localizedValue }, unit, timeseries: [{ data:
 * [{ timeStamp, average, maximum }] }] }] }] }` (models/models.js). Values come from a function of
 * the minute the test gives; minutes at or past `publishedUntil()` come back without values, as
 * Azure Monitor leaves a minute not yet ingested. Every request is kept for assertions.
 *
 * What is modelled from documentation: the URL, query and body the client sends, the response
 * shape, and the metric names of Microsoft.ApiManagement/service (Capacity, CpuPercent_Gateway,
 * MemoryPercent_Gateway; learn.microsoft.com azure-monitor/reference/supported-metrics/
 * microsoft-apimanagement-service-metrics). What is assumed: the error bodies use ARM's
 * `{ error: { code, message } }` shape with the statuses named below, and a metric the
 * service's tier does not publish comes back as a series without data.
 */
export const metricsApiVersion = '2024-02-01';
export const apimMetricNamespace = 'Microsoft.ApiManagement/service';
/** The APIM metrics this mock knows; another name is refused as Azure Monitor refuses an unknown metric. */
export const apimMetricNames = ['Capacity', 'CpuPercent_Gateway', 'MemoryPercent_Gateway', 'Requests', 'Duration', 'BackendDuration'] as const;

const displayNames: Record<string, string> = {
  Capacity: 'Capacity',
  CpuPercent_Gateway: 'CPU Percentage of Gateway',
  MemoryPercent_Gateway: 'Memory Percentage of Gateway',
};

export interface MinuteValue {
  average: number;
  maximum: number;
}

export interface MockMetricsResource {
  resourceId: string;
  /** Its location as the metrics endpoint's host names it ("eastus"). */
  region: string;
  /**
   * The metrics this service publishes, as a function of the minute (epoch ms of its start);
   * null: no value that minute. May be async (a test publishing a live gateway's measured load).
   */
  series: Partial<Record<string, (minuteStart: number) => MinuteValue | null | Promise<MinuteValue | null>>>;
  /** Metrics refused with 400 "Failed to find metric configuration", should Azure refuse a metric the tier lacks rather than serve it empty. */
  refuses?: readonly string[];
  /** Metrics left out of the answer altogether (another way a tier's missing metric could show). */
  omits?: readonly string[];
}

export interface RecordedMetricsRequest {
  url: URL;
  authorization: string | null;
  resourceIds: string[];
}

export interface MockAzureMonitorOptions {
  resources: readonly MockMetricsResource[];
  /** Minutes starting at or after this (epoch ms) are not yet published. Default: all are. */
  publishedUntil?: () => number;
  /** The bearer tokens allowed to read each resource; absent: any token may. */
  readers?: (resourceId: string) => readonly string[];
}

const minute = 60_000;

export class MockAzureMonitor {
  readonly requests: RecordedMetricsRequest[] = [];
  readonly #options: MockAzureMonitorOptions;

  constructor(options: MockAzureMonitorOptions) {
    this.#options = options;
  }

  handlers(): RequestHandler[] {
    return [http.post(/^https:\/\/([a-z0-9]+)\.metrics\.monitor\.azure\.com\/subscriptions\/([^/]+)\/metrics:getBatch$/, ({ request }) => this.#answer(request))];
  }

  async #answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const region = url.hostname.split('.')[0]!;
    const subscription = decodeURIComponent(url.pathname.split('/')[2] ?? '');
    const authorization = request.headers.get('authorization');
    let resourceIds: string[] = [];
    try {
      const body = (await request.json()) as { resourceids?: unknown };
      if (Array.isArray(body.resourceids)) resourceIds = body.resourceids.map(String);
    } catch {
      // answered below as a bad request
    }
    this.requests.push({ url, authorization, resourceIds });
    const q = url.searchParams;
    const fail = (status: number, code: string, message: string): Response => HttpResponse.json({ error: { code, message } }, { status });
    if (!authorization?.startsWith('Bearer ')) return fail(401, 'InvalidAuthenticationToken', 'The access token is missing or invalid.');
    if (q.get('api-version') !== metricsApiVersion) return fail(400, 'BadRequest', `api-version ${q.get('api-version')} is not supported`);
    if ((q.get('metricnamespace') ?? '').toLowerCase() !== apimMetricNamespace.toLowerCase()) return fail(400, 'BadRequest', `metricnamespace ${q.get('metricnamespace')} is not one this mock serves`);
    if (resourceIds.length === 0) return fail(400, 'BadRequest', 'The request body must name resourceids.');
    const start = Date.parse(q.get('starttime') ?? '');
    const end = Date.parse(q.get('endtime') ?? '');
    if (!(start < end)) return fail(400, 'BadRequest', `starttime ${q.get('starttime')} and endtime ${q.get('endtime')} do not make a timespan`);
    if ((q.get('interval') ?? 'PT1M') !== 'PT1M') return fail(400, 'BadRequest', `this mock serves interval PT1M only, got ${q.get('interval')}`);
    const aggregations = (q.get('aggregation') ?? 'average').toLowerCase().split(',');
    const names = q.getAll('metricnames').flatMap((n) => n.split(','));
    const unknown = names.find((n) => !(apimMetricNames as readonly string[]).includes(n));
    if (unknown !== undefined) {
      return fail(400, 'BadRequest', `Failed to find metric configuration for provider: Microsoft.ApiManagement, resource Type: service, metric: ${unknown}, Valid metrics: ${apimMetricNames.join(',')}`);
    }
    const values = [];
    for (const id of resourceIds) {
      const resource = this.#options.resources.find((r) => r.resourceId.toLowerCase() === id.toLowerCase());
      if (!resource || !id.toLowerCase().startsWith(`/subscriptions/${subscription.toLowerCase()}/`)) return fail(404, 'ResourceNotFound', `The Resource '${id}' was not found.`);
      const allowed = this.#options.readers?.(resource.resourceId);
      if (allowed && !allowed.includes(authorization.slice('Bearer '.length))) {
        return fail(403, 'AuthorizationFailed', `The client does not have authorization to perform action 'Microsoft.Insights/metrics/read' over scope '${id}' or the scope is invalid.`);
      }
      const refused = names.find((n) => resource.refuses?.includes(n));
      if (refused !== undefined) return fail(400, 'BadRequest', `Failed to find metric configuration for provider: Microsoft.ApiManagement, resource Type: service, metric: ${refused}, Valid metrics: ${names.filter((n) => n !== refused).join(',')}`);
      if (resource.region !== region) return fail(400, 'BadRequest', `Resource '${id}' is in region ${resource.region}, not ${region}: query the metrics endpoint of the resource's region.`);
      const publishedUntil = this.#options.publishedUntil?.() ?? Number.POSITIVE_INFINITY;
      values.push({
        starttime: new Date(start).toISOString(),
        endtime: new Date(end).toISOString(),
        interval: 'PT1M',
        namespace: apimMetricNamespace.toLowerCase(),
        resourceregion: resource.region,
        resourceid: resource.resourceId,
        value: await Promise.all(names.filter((name) => !resource.omits?.includes(name)).map(async (name) => {
          const series = resource.series[name];
          const data = [];
          for (let at = Math.floor(start / minute) * minute; at < end; at += minute) {
            const point: Record<string, unknown> = { timeStamp: new Date(at).toISOString() };
            const value = at < publishedUntil ? await series?.(at) : null;
            if (value) {
              if (aggregations.includes('average')) point.average = value.average;
              if (aggregations.includes('maximum')) point.maximum = value.maximum;
            }
            data.push(point);
          }
          return {
            id: `${resource.resourceId}/providers/Microsoft.Insights/metrics/${name}`,
            type: 'Microsoft.Insights/metrics',
            name: { value: name, localizedValue: displayNames[name] ?? name },
            displayDescription: '',
            errorCode: 'Success',
            unit: 'Percent',
            timeseries: series ? [{ metadatavalues: [], data }] : [],
          };
        })),
      });
    }
    return HttpResponse.json({ values });
  }
}
