import { spawnSync } from 'node:child_process';
import { findOnPath, isExecutableFile, resolveUserBinary } from '../../harness/tools/find-executable.ts';

/**
 * Finds an nginx to run the example with: `$SPILLWAY_NGINX` when set (and then only that one),
 * else `nginx` on PATH, else the places distribution packages put it (Debian's is
 * /usr/sbin/nginx, which a non-root PATH often leaves out). Every candidate is asked its
 * version: the example needs `proxy_next_upstream http_429`, which nginx 1.11.13 added.
 */
export interface NginxInstallation {
  readonly path: string;
  /** As `nginx -v` prints it: 1.22.1. */
  readonly version: string;
}

export type NginxLookup = { readonly status: 'found'; readonly nginx: NginxInstallation } | { readonly status: 'missing'; readonly reason: string };

/** proxy_next_upstream http_429 appeared in 1.11.13 (ngx_http_proxy_module). */
export const minimumNginxVersion = '1.11.13';

export const nginxInstallHint = 'install it with `apt-get install -y --no-install-recommends nginx` (Debian, Ubuntu) or set SPILLWAY_NGINX to its path';

const packagedPaths = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

export async function findNginx(env: NodeJS.ProcessEnv = process.env): Promise<NginxLookup> {
  if (env.SPILLWAY_NGINX) {
    const checked = await checkCandidate(await resolveUserBinary(env.SPILLWAY_NGINX, env));
    return 'version' in checked ? { status: 'found', nginx: checked } : { status: 'missing', reason: `SPILLWAY_NGINX=${env.SPILLWAY_NGINX}: ${checked.problem}` };
  }
  const looked: string[] = [];
  const onPath = await findOnPath('nginx', env);
  for (const candidate of [...(onPath ? [onPath] : []), ...packagedPaths.filter((p) => p !== onPath)]) {
    if (!(await isExecutableFile(candidate))) continue;
    const checked = await checkCandidate(candidate);
    if ('version' in checked) return { status: 'found', nginx: checked };
    looked.push(`${candidate}: ${checked.problem}`);
  }
  const where = looked.length > 0 ? looked.join('; ') : `no nginx on PATH or at ${packagedPaths.join(', ')}`;
  return { status: 'missing', reason: `nginx is not installed (${where}): ${nginxInstallHint}` };
}

async function checkCandidate(path: string): Promise<NginxInstallation | { problem: string }> {
  if (!(await isExecutableFile(path))) return { problem: 'not an executable file' };
  // nginx prints its version on stderr.
  const probe = spawnSync(path, ['-v'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) return { problem: `could not run it (${probe.error.message})` };
  const version = /nginx\/(\d+\.\d+\.\d+)/.exec(`${probe.stderr}${probe.stdout}`)?.[1];
  if (probe.status !== 0 || !version) return { problem: `\`${path} -v\` did not print an nginx version (exit ${probe.status ?? probe.signal})` };
  if (compareVersions(version, minimumNginxVersion) < 0) return { problem: `nginx ${version} is older than ${minimumNginxVersion}, which added proxy_next_upstream http_429` };
  return { path, version };
}

/** Negative, zero or positive as a is older than, equal to or newer than b (dotted numbers). */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
