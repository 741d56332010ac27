import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareVersions, findNginx } from './find-nginx.ts';

const dir = mkdtempSync(join(tmpdir(), 'find-nginx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in nginx that prints `-v` the way nginx does (on stderr). */
function fakeNginx(name: string, versionLine: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho '${versionLine}' >&2\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('findNginx', () => {
  it('takes SPILLWAY_NGINX when it names a new enough nginx', async () => {
    const path = fakeNginx('nginx-1.22', 'nginx version: nginx/1.22.1');
    expect(await findNginx({ SPILLWAY_NGINX: path, PATH: '' })).toEqual({ status: 'found', nginx: { path, version: '1.22.1' } });
  });

  it('refuses an nginx older than 1.11.13, which cannot pass a 429 to the next server, and says so', async () => {
    const path = fakeNginx('nginx-1.10', 'nginx version: nginx/1.10.3');
    expect(await findNginx({ SPILLWAY_NGINX: path, PATH: '' })).toEqual({ status: 'missing', reason: `SPILLWAY_NGINX=${path}: nginx 1.10.3 is older than 1.11.13, which added proxy_next_upstream http_429` });
  });

  it('refuses a SPILLWAY_NGINX that is not there or not nginx, without falling back to another', async () => {
    expect(await findNginx({ SPILLWAY_NGINX: join(dir, 'absent'), PATH: '' })).toMatchObject({ status: 'missing', reason: expect.stringMatching(/absent: not an executable file$/) });
    const other = fakeNginx('not-nginx', 'hello');
    expect(await findNginx({ SPILLWAY_NGINX: other, PATH: '' })).toMatchObject({ status: 'missing', reason: expect.stringContaining('did not print an nginx version') });
  });

  it('finds nginx on PATH first', async () => {
    const onPath = mkdtempSync(join(dir, 'bin-'));
    const path = join(onPath, 'nginx');
    writeFileSync(path, "#!/bin/sh\necho 'nginx version: nginx/1.25.0' >&2\n");
    chmodSync(path, 0o755);
    expect(await findNginx({ PATH: onPath })).toEqual({ status: 'found', nginx: { path, version: '1.25.0' } });
  });
});

describe('compareVersions', () => {
  it('compares dotted numbers as numbers', () => {
    expect(compareVersions('1.11.13', '1.11.13')).toBe(0);
    expect(compareVersions('1.9.0', '1.11.13')).toBeLessThan(0);
    expect(compareVersions('1.22.1', '1.19.5')).toBeGreaterThan(0);
  });
});
