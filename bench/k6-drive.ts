import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One measured phase: real k6 driving one URL with a fixed number of VUs for a fixed time. */
export interface Phase {
  target: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
}

export interface DriveOptions {
  k6: string;
  target: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  vus: number;
  seconds: number;
  work: string;
  /** Open model: this many requests per second (constant-arrival-rate) instead of closed-loop VUs. */
  rate?: number;
  /**
   * Replace `{{unique}}` in the body with a phase id and the VU and iteration numbers, so that
   * no two requests send the same body: what a target that remembers repeated bodies pays
   * without that help.
   */
  uniqueBodies?: boolean;
}

const script = `
import http from 'k6/http';
const open = Number(__ENV.RATE) > 0;
export const options = {
  scenarios: {
    drive: open
      ? { executor: 'constant-arrival-rate', rate: Number(__ENV.RATE), timeUnit: '1s', duration: __ENV.DURATION, preAllocatedVUs: Number(__ENV.VUS), maxVUs: Number(__ENV.VUS) * 4 }
      : { executor: 'constant-vus', vus: Number(__ENV.VUS), duration: __ENV.DURATION },
  },
  discardResponseBodies: true, summaryTrendStats: ['avg', 'p(50)', 'p(99)'],
};
const params = { headers: JSON.parse(__ENV.HEADERS) };
const unique = __ENV.UNIQUE === '1';
const [before, after] = __ENV.BODY.split('{{unique}}');
export default function () {
  const response = http.post(__ENV.URL, unique ? before + __ENV.PHASE_ID + '.' + __VU + '.' + __ITER + after : __ENV.BODY, params);
  if (response.status !== 200) throw new Error('status ' + response.status);
}
`;

/** Runs k6 closed-loop against one URL and reads its summary export. */
export async function driveWithK6(options: DriveOptions): Promise<Phase> {
  if (options.uniqueBodies === true && !options.body.includes('{{unique}}')) throw new Error('uniqueBodies needs a body with a {{unique}} marker');
  const scriptPath = join(options.work, 'drive.js');
  const summary = join(options.work, `summary-${options.target}-${Date.now()}.json`);
  writeFileSync(scriptPath, script);
  await run(options.k6, ['run', '--quiet', '--no-color', '--summary-export', summary, scriptPath], {
    env: {
      ...process.env,
      URL: options.url,
      BODY: options.body,
      HEADERS: JSON.stringify(options.headers),
      VUS: String(options.vus),
      RATE: String(options.rate ?? 0),
      UNIQUE: options.uniqueBodies === true ? '1' : '0',
      // VU and iteration numbers start again in every k6 process: the phase id keeps one
      // phase's bodies from repeating another's (which the target might remember).
      PHASE_ID: randomUUID(),
      DURATION: `${options.seconds}s`,
      K6_NO_USAGE_REPORT: 'true',
    },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stderr?: string; code?: number }) => {
    // k6 exits 107 when iterations throw (a non-200); the summary still counts them.
    if (error.code !== 107 && error.code !== 99) throw new Error(`k6 failed (${error.code}): ${error.stderr ?? ''}`);
  });
  const metrics = (JSON.parse(readFileSync(summary, 'utf8')) as { metrics: Record<string, Record<string, number>> }).metrics;
  return {
    target: options.target,
    rps: metrics.http_reqs?.rate ?? 0,
    requests: metrics.http_reqs?.count ?? 0,
    p50: metrics.http_req_duration?.['p(50)'] ?? Number.NaN,
    p99: metrics.http_req_duration?.['p(99)'] ?? Number.NaN,
    // http_req_failed is a Rate whose true values are failures: `passes` counts them.
    failed: metrics.http_req_failed?.passes ?? 0,
  };
}

/** Mean of a field over the phases of one target. */
export function meanOf(phases: readonly Phase[], target: string, key: 'rps' | 'p50' | 'p99'): number {
  const own = phases.filter((p) => p.target === target);
  return own.reduce((sum, p) => sum + p[key], 0) / own.length;
}
