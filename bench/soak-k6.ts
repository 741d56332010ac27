import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The soak benchmark's load: real k6 sending non-streaming chat completions to one URL, either
 * at a fixed arrival rate (open model: an overloaded gateway does not slow the clients down, as
 * it would in a closed loop) or with a fixed number of closed-loop VUs.
 *
 * Unlike k6-drive.ts, a non-200 answer is counted, not thrown: at ten times the gateway's
 * capacity most requests fail by design, and a thrown error per iteration would make k6 print
 * a line per request. k6's own output goes to a file in the work folder, not to memory.
 */
export interface SoakLoad {
  k6: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  seconds: number;
  work: string;
  /** Open model: this many requests per second, with up to `vus` VUs in flight. */
  rate?: number;
  vus: number;
}

export interface SoakLoadResult {
  requests: number;
  ok: number;
  /** Arrivals k6 could not start because every VU was busy (open model only). */
  dropped: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

const script = `
import http from 'k6/http';
import { Counter } from 'k6/metrics';
const ok = new Counter('soak_ok');
const open = Number(__ENV.RATE) > 0;
export const options = {
  scenarios: {
    soak: open
      ? { executor: 'constant-arrival-rate', rate: Number(__ENV.RATE), timeUnit: '1s', duration: __ENV.DURATION, preAllocatedVUs: Math.min(Number(__ENV.VUS), 50), maxVUs: Number(__ENV.VUS) }
      : { executor: 'constant-vus', vus: Number(__ENV.VUS), duration: __ENV.DURATION },
  },
  discardResponseBodies: true,
  summaryTrendStats: ['avg', 'p(50)', 'p(99)'],
};
const params = { headers: JSON.parse(__ENV.HEADERS), timeout: '60s' };
export default function () {
  const response = http.post(__ENV.URL, __ENV.BODY, params);
  if (response.status === 200) ok.add(1);
}
`;

export async function runSoakLoad(load: SoakLoad): Promise<SoakLoadResult> {
  const scriptPath = join(load.work, 'soak.js');
  const summaryPath = join(load.work, 'k6-summary.json');
  writeFileSync(scriptPath, script);
  const output = openSync(join(load.work, 'k6-output.log'), 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(load.k6, ['run', '--quiet', '--no-color', '--summary-export', summaryPath, scriptPath], {
        stdio: ['ignore', output, output],
        env: {
          ...process.env,
          URL: load.url,
          BODY: load.body,
          HEADERS: JSON.stringify(load.headers),
          RATE: String(load.rate ?? 0),
          VUS: String(load.vus),
          DURATION: `${load.seconds}s`,
          K6_NO_USAGE_REPORT: 'true',
        },
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`k6 exited with ${code}; see ${join(load.work, 'k6-output.log')}`);
  } finally {
    closeSync(output);
  }
  const metrics = (JSON.parse(readFileSync(summaryPath, 'utf8')) as { metrics: Record<string, Record<string, number>> }).metrics;
  return {
    requests: metrics.http_reqs?.count ?? 0,
    ok: metrics.soak_ok?.count ?? 0,
    dropped: metrics.dropped_iterations?.count ?? 0,
    rps: metrics.http_reqs?.rate ?? 0,
    p50Ms: metrics.http_req_duration?.['p(50)'] ?? Number.NaN,
    p99Ms: metrics.http_req_duration?.['p(99)'] ?? Number.NaN,
  };
}
