import type { AccessToken, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { MockAzureMonitor, type MinuteValue, type MockAzureMonitorOptions, type MockMetricsResource } from '../../../mocks/azure-monitor/metrics-api-handlers.ts';
import { mswHttpClient } from '../../../mocks/log-analytics/msw-http-client.ts';
import { StaticCredential } from '../../evidence/log-analytics/test-log-analytics.ts';
import { AzureMonitorError, AzureMonitorUtilisation, locationName, type AzureMonitorUtilisationOptions } from './azure-monitor-utilisation.ts';

/**
 * The real MetricsClient of @azure/monitor-query-metrics, its requests answered in memory by
 * the mock metrics API (mocks/azure-monitor) through the SDK's own pipeline: the bearer token
 * policy, the URL template and the deserializer all run as they would against Azure.
 */
const T = Date.UTC(2026, 0, 1, 12, 0);
const minute = 60_000;
const subscription = '0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b';
const resourceId = `/subscriptions/${subscription}/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/contoso-apim`;

/** Minute k after T: average 10·(k+1), maximum 10·(k+1)+5. */
const rising = (offset = 0) => (at: number): MinuteValue => {
  const k = (at - T) / minute;
  return { average: 10 * (k + 1) + offset, maximum: 10 * (k + 1) + 5 + offset };
};

function setup(resource: Partial<MockMetricsResource>, options: Partial<AzureMonitorUtilisationOptions> = {}, mock: Partial<MockAzureMonitorOptions> = {}) {
  const monitor = new MockAzureMonitor({ resources: [{ resourceId, region: 'eastus', series: {}, ...resource }], ...mock });
  const credential = new StaticCredential();
  const source = new AzureMonitorUtilisation({ resourceId, region: 'East US', credential, clientOptions: { httpClient: mswHttpClient(monitor.handlers()) }, ...options });
  return { monitor, credential, source };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('AzureMonitorUtilisation', () => {
  it("reads a classic tier's Capacity for a window of whole minutes, through the regional metrics:getBatch endpoint", async () => {
    const { monitor, credential, source } = setup({ series: { Capacity: rising() } });
    expect(source.describe).toBe('azure monitor: Capacity, CpuPercent_Gateway, MemoryPercent_Gateway of API Management contoso-apim (eastus), 1-minute grain');
    const reading = await source.read({ start: T, end: T + 3 * minute });
    // Both tiers' metrics were asked for; the v2 ones had no data, so only Capacity is kept.
    expect(reading).toEqual({ complete: true, metrics: [{ name: 'Capacity', unit: 'percent', average: 20, max: 35, samples: 3 }] });
    expect(credential.scopes).toEqual(['https://management.azure.com/.default']);
    const [request] = monitor.requests;
    expect(request!.url.origin + request!.url.pathname).toBe(`https://eastus.metrics.monitor.azure.com/subscriptions/${subscription}/metrics:getBatch`);
    expect(Object.fromEntries(request!.url.searchParams)).toMatchObject({
      'api-version': '2024-02-01',
      metricnamespace: 'Microsoft.ApiManagement/service',
      metricnames: 'Capacity,CpuPercent_Gateway,MemoryPercent_Gateway',
      interval: 'PT1M',
      aggregation: 'Average,Maximum',
      starttime: new Date(T).toISOString(),
      endtime: new Date(T + 3 * minute).toISOString(),
    });
    expect(request!.resourceIds).toEqual([resourceId]);
    expect(request!.authorization).toBe(`Bearer ${credential.token}`);
  });

  it("reads a v2 tier's CPU and memory, a step shorter than a minute getting the minute(s) it overlaps, said in a note", async () => {
    // Capacity left out of the answer: the others are found by their ids, not their places.
    const { source } = setup({ series: { CpuPercent_Gateway: rising(), MemoryPercent_Gateway: rising(1) }, omits: ['Capacity'] });
    const short = await source.read({ start: T + 10_000, end: T + 55_000 });
    expect(short.metrics).toEqual([
      { name: 'CpuPercent_Gateway', unit: 'percent', average: 10, max: 15, samples: 1 },
      { name: 'MemoryPercent_Gateway', unit: 'percent', average: 11, max: 16, samples: 1 },
    ]);
    expect(short.note).toBe("Azure Monitor's finest grain for these metrics is 1 minute: this 45 s window is read from the 1 minute(s) it overlaps (12:00–12:01 UTC), whose values include load outside it");
    // 15 s in the first minute (10%) and 45 s in the second (20%): weighed by overlap.
    const straddling = await source.read({ start: T + 45_000, end: T + 105_000 });
    expect(straddling.metrics[0]).toEqual({ name: 'CpuPercent_Gateway', unit: 'percent', average: 17.5, max: 25, samples: 2 });
    expect(straddling.note).toMatch(/the 2 minute\(s\) it overlaps \(12:00–12:02 UTC\)/);
  });

  it("gives no max for Capacity outside Premium, where Azure Monitor's Maximum reads 0", async () => {
    const { source } = setup({ series: { Capacity: (at) => ({ average: 40 + (at - T) / minute, maximum: 0 }) } }, { tier: 'classic' });
    const reading = await source.read({ start: T, end: T + 2 * minute });
    expect(reading.metrics).toEqual([{ name: 'Capacity', unit: 'percent', average: 40.5, max: null, samples: 2 }]);
    expect(reading.note).toMatch(/Capacity's Maximum is only published on the Premium tier/);
  });

  it('says a window whose minutes are not all published yet is incomplete, and completes once they are', async () => {
    let publishedUntil = T + 2 * minute;
    const { source } = setup({ series: { Capacity: rising() } }, {}, { publishedUntil: () => publishedUntil });
    const early = await source.read({ start: T, end: T + 3 * minute });
    expect(early).toMatchObject({ complete: false, metrics: [{ name: 'Capacity', average: 15, samples: 2 }] });
    expect(early.note).toMatch(/not published yet: read again in a few minutes/);
    publishedUntil = T + 3 * minute;
    expect(await source.read({ start: T, end: T + 3 * minute })).toMatchObject({ complete: true, metrics: [{ average: 20, samples: 3 }] });
  });

  it("names a metric the service's tier does not publish, whether Azure serves it empty or refuses it", async () => {
    const empty = setup({ series: { CpuPercent_Gateway: rising() } }, { tier: 'classic' });
    const reading = await empty.source.read({ start: T, end: T + minute });
    expect(reading).toEqual({ complete: false, metrics: [{ name: 'Capacity', unit: 'percent', average: null, max: null, samples: 0 }], note: expect.stringContaining('no data yet for Capacity in this window (Capacity is published for the classic tiers') });
    const refused = setup({ series: { Capacity: rising() }, refuses: ['CpuPercent_Gateway'] }, { tier: 'v2' });
    const error = await failure(refused.source.read({ start: T, end: T + minute }));
    expect(error).toBeInstanceOf(AzureMonitorError);
    expect(error.message).toMatch(/^Azure Monitor does not serve the metric CpuPercent_Gateway for API Management \/subscriptions\/.*: Capacity is published for the classic tiers .* set metrics.tier in the target file/);
  });

  it('explains 403 (Monitoring Reader on the APIM resource), 404 (resource id), a wrong region and no credential, never showing the token', async () => {
    const forbidden = setup({ series: { Capacity: rising() } }, {}, { readers: () => ['someone-else'] });
    const error403 = await failure(forbidden.source.read({ start: T, end: T + minute }));
    expect(error403.message).toContain(`give it the Monitoring Reader role on the API Management resource (az role assignment create --assignee <its object id> --role "Monitoring Reader" --scope ${resourceId})`);
    expect(error403.message).toContain('403 AuthorizationFailed');
    expect(error403.message).not.toContain(forbidden.credential.token);

    const missing = setup({ resourceId: resourceId.replace('contoso-apim', 'other-apim') });
    const error404 = await failure(missing.source.read({ start: T, end: T + minute }));
    expect(error404.message).toMatch(/^Azure Monitor has no API Management .*contoso-apim \(404 ResourceNotFound.*\): check metrics.resourceId in the target file/);

    const elsewhere = setup({ region: 'westeurope', series: { Capacity: rising() } });
    expect((await failure(elsewhere.source.read({ start: T, end: T + minute }))).message).toMatch(/refused .*: set metrics.region in the target file to the service's primary location/);

    const noCredential: TokenCredential = {
      async getToken(): Promise<AccessToken> {
        throw Object.assign(new Error('EnvironmentCredential is unavailable'), { name: 'CredentialUnavailableError' });
      },
    };
    const anonymous = setup({ series: { Capacity: rising() } }, { credential: noCredential });
    expect((await failure(anonymous.source.read({ start: T, end: T + minute }))).message).toMatch(/no Azure credential could get a token \(scope https:\/\/management.azure.com\/.default\)/);
  });

  it('refuses a resource id or region of the wrong shape, naming the field', () => {
    expect(() => new AzureMonitorUtilisation({ resourceId: 'contoso-apim', region: 'eastus' })).toThrow(/^metrics.resourceId "contoso-apim" must be the API Management service's resource id/);
    expect(() => new AzureMonitorUtilisation({ resourceId: `/subscriptions/${subscription}/resourceGroups/rg/providers/Microsoft.Web/sites/x`, region: 'eastus' })).toThrow(/metrics.resourceId/);
    expect(() => new AzureMonitorUtilisation({ resourceId, region: 'east-us!' })).toThrow(/^metrics.region "east-us!" must be an Azure location/);
    expect(locationName('East US 2')).toBe('eastus2');
  });
});
