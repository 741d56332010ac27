/**
 * Defaults and validation for the front door's origins and health-probe settings.
 *
 * Documented ranges and defaults [DOC AFD-RM, AFD-HP, SPEC HealthProbeParameters]:
 * - priority 1-5, weight 1-1000 (default 50);
 * - probe interval 1-255 s; the docs' examples use 30 s while the ARM spec says 240 s, so the
 *   research note says to set it explicitly. We default to 30 s (the docs' and portal's value)
 *   and accept fractions of a second below 1 s so that tests can probe quickly;
 * - HEAD is the default probe method for new profiles, GET is the alternative;
 * - APIM's health endpoint `/status-0123456789abcdef` is the probe path to use for APIM
 *   origins [DOC MR], so it is the default path here.
 *
 * Choices where the docs are silent (see docs/frontdoor.md):
 * - priority defaults to 1 (one active group unless configured otherwise);
 * - sampleSize 4 / successfulSamplesRequired 3, the portal and sample values (no API default
 *   is documented);
 * - probe timeout min(interval, 10 s): a probe never overlaps the next one by default;
 * - origin host header: the origin URL's host:port unless `originHostHeader` is set. AFD's API
 *   uses the client's Host when the field is blank, while the portal fills it with the origin
 *   host name; APIM regional gateways expect their own host name, so the portal's behaviour is
 *   the default, and `originHostHeader: ''` selects the API's pass-through behaviour.
 * - An origin is a scheme, host and port only (AFD origins are host names; a path prefix
 *   belongs to the route), so a URL with a path, query or fragment is rejected.
 */
import { validateHealthRule } from './origin-health.ts';
import type { InitialHealth } from './origin-health.ts';

export const APIM_HEALTH_PATH = '/status-0123456789abcdef';
export const DEFAULT_PRIORITY = 1;
export const DEFAULT_WEIGHT = 50;
export const DEFAULT_PROBE_INTERVAL_SECONDS = 30;
export const MAX_PROBE_INTERVAL_SECONDS = 255;
export const DEFAULT_SAMPLE_SIZE = 4;
export const DEFAULT_SUCCESSFUL_SAMPLES_REQUIRED = 3;
export const MAX_DEFAULT_PROBE_TIMEOUT_MS = 10_000;

export type ProbeMethod = 'HEAD' | 'GET';

export interface FrontDoorOriginConfig {
  name: string;
  /** `http://host:port` or `https://host:port`, no path. */
  url: string;
  /** 1-5, default 1. */
  priority?: number;
  /** 1-1000, default 50. */
  weight?: number;
  /** Default true. */
  enabled?: boolean;
  /** Host header sent to this origin; default the origin URL's host; '' passes the client's Host through. */
  originHostHeader?: string;
}

export interface ProbeConfig {
  /** Seconds between probes of one origin; default 30, at most 255. */
  intervalSeconds?: number;
  /** Default 4. */
  sampleSize?: number;
  /** Default 3. */
  successfulSamplesRequired?: number;
  /** Default `/status-0123456789abcdef` (APIM's health endpoint). */
  path?: string;
  /** Default HEAD. */
  method?: ProbeMethod;
  /** Default min(interval, 10 s). */
  timeoutMs?: number;
  /** Health before the first probe; default healthy. */
  initialState?: InitialHealth;
}

export interface ResolvedOrigin {
  name: string;
  url: URL;
  priority: number;
  weight: number;
  enabled: boolean;
  /** The Host header to send; undefined means the client's Host is passed through. */
  hostHeader: string | undefined;
}

export interface ResolvedProbe {
  intervalSeconds: number;
  sampleSize: number;
  successfulSamplesRequired: number;
  path: string;
  method: ProbeMethod;
  timeoutMs: number;
  initialState: InitialHealth;
}

function integerIn(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

export function resolveOrigins(origins: readonly FrontDoorOriginConfig[]): ResolvedOrigin[] {
  if (origins.length === 0) throw new RangeError('the front door needs at least one origin');
  const seen = new Set<string>();
  return origins.map((origin) => {
    if (typeof origin.name !== 'string' || origin.name.length === 0) throw new RangeError('every origin needs a name');
    if (seen.has(origin.name)) throw new RangeError(`origin name "${origin.name}" is used twice`);
    seen.add(origin.name);
    let url: URL;
    try {
      url = new URL(origin.url);
    } catch {
      throw new RangeError(`origin "${origin.name}": "${origin.url}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`origin "${origin.name}": only http and https origins are supported, got ${url.protocol}`);
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      throw new RangeError(`origin "${origin.name}": the URL must be scheme://host:port only (an AFD origin is a host name), got ${origin.url}`);
    }
    const hostHeader = origin.originHostHeader === undefined ? url.host : origin.originHostHeader === '' ? undefined : origin.originHostHeader;
    return {
      name: origin.name,
      url,
      priority: integerIn(origin.priority ?? DEFAULT_PRIORITY, 1, 5, `origin "${origin.name}": priority`),
      weight: integerIn(origin.weight ?? DEFAULT_WEIGHT, 1, 1000, `origin "${origin.name}": weight`),
      enabled: origin.enabled ?? true,
      hostHeader,
    };
  });
}

export function resolveProbe(probe: ProbeConfig = {}): ResolvedProbe {
  const intervalSeconds = probe.intervalSeconds ?? DEFAULT_PROBE_INTERVAL_SECONDS;
  if (!Number.isFinite(intervalSeconds) || intervalSeconds <= 0 || intervalSeconds > MAX_PROBE_INTERVAL_SECONDS) {
    throw new RangeError(`probe intervalSeconds must be above 0 and at most ${MAX_PROBE_INTERVAL_SECONDS}, got ${intervalSeconds}`);
  }
  const rule = {
    sampleSize: probe.sampleSize ?? DEFAULT_SAMPLE_SIZE,
    successfulSamplesRequired: probe.successfulSamplesRequired ?? DEFAULT_SUCCESSFUL_SAMPLES_REQUIRED,
    initialState: probe.initialState ?? 'healthy',
  } as const;
  validateHealthRule(rule);
  const path = probe.path ?? APIM_HEALTH_PATH;
  if (!path.startsWith('/')) throw new RangeError(`probe path must start with "/", got "${path}"`);
  const method = probe.method ?? 'HEAD';
  if (method !== 'HEAD' && method !== 'GET') throw new RangeError(`probe method must be HEAD or GET, got ${String(method)}`);
  const timeoutMs = probe.timeoutMs ?? Math.min(intervalSeconds * 1000, MAX_DEFAULT_PROBE_TIMEOUT_MS);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`probe timeoutMs must be positive, got ${timeoutMs}`);
  return { intervalSeconds, ...rule, path, method, timeoutMs };
}
