import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadExpectationsFile } from '../../harness/verify/expectations-file.ts';
import { backendsAtPortBase, nginxExpectationsPath, nginxTemplatePath, noBackupTemplatePath, noEjectionTemplatePath, renderNginxTemplate, renderNginxTemplateFile } from './nginx-config.ts';

const fleet = {
  backends: [
    { name: 'aoai-eastus-ptu1', region: 'East US', kind: 'ptu' as const, endpoint: 'http://127.0.0.1:18500', deployments: [] },
    { name: 'aoai-eastus-ptu2', region: 'East US', kind: 'ptu' as const, endpoint: 'http://127.0.0.1:18501', deployments: [] },
    { name: 'aoai-eastus-payg', region: 'East US', kind: 'payg' as const, endpoint: 'http://127.0.0.1:18502', deployments: [] },
    { name: 'aoai-westus-ptu1', region: 'West US', kind: 'ptu' as const, endpoint: 'http://[::1]:18503', deployments: [] },
  ],
};
const values = { listen: '127.0.0.1:18480', prefix: '/tmp/nginx-run', fleet };

describe('renderNginxTemplate', () => {
  it('puts the listen address, the run folder and each named backend\'s host:port in place, and leaves nothing in braces', () => {
    const config = renderNginxTemplateFile(nginxTemplatePath, values);
    expect(config).toContain('listen 127.0.0.1:18480;');
    expect(config).toContain('pid /tmp/nginx-run/nginx.pid;');
    expect(config).toMatch(/server 127\.0\.0\.1:18500 max_fails=3 fail_timeout=10s;\n\s*server 127\.0\.0\.1:18501 max_fails=3 fail_timeout=10s;/);
    expect(config).toContain('server 127.0.0.1:18502 backup max_fails=0;');
    const code = config.split('\n').map((line) => line.replace(/#.*$/, ''));
    expect(code.filter((line) => /\{\{|\}\}/.test(line))).toEqual([]);
  });

  it('leaves comments as written, so that they can show a placeholder', () => {
    expect(renderNginxTemplate('listen {{listen}}; # {{listen}} and {{backend NAME}}', 't', values)).toBe('listen 127.0.0.1:18480; # {{listen}} and {{backend NAME}}');
    expect(renderNginxTemplate('return 200 "#{{listen}}";', 't', values)).toBe('return 200 "#127.0.0.1:18480";');
  });

  it('writes an IPv6 endpoint in brackets, as an upstream server takes it', () => {
    expect(renderNginxTemplate('server {{backend aoai-westus-ptu1}};', 't', values)).toBe('server [::1]:18503;');
  });

  it('refuses, with the file and line of each, a backend the fleet does not have and a placeholder it does not know', () => {
    const template = 'a\nserver {{backend aoai-northeu-ptu1}};\nlisten {{port}};';
    expect(() => renderNginxTemplate(template, 'my.conf.template', values)).toThrow(
      /my\.conf\.template:2: \{\{backend aoai-northeu-ptu1\}\}: no backend named "aoai-northeu-ptu1" in the fleet \(it has aoai-eastus-ptu1, .*\)\n\s+my\.conf\.template:3: \{\{port\}\}: not a placeholder/,
    );
  });

  it('refuses an https endpoint and an endpoint with a path, which an upstream server cannot take', () => {
    const odd = { ...values, fleet: { backends: [{ ...fleet.backends[0]!, endpoint: 'https://127.0.0.1:443' }, { ...fleet.backends[1]!, endpoint: 'http://127.0.0.1:1/base' }] } };
    expect(() => renderNginxTemplate('{{backend aoai-eastus-ptu1}}', 't', odd)).toThrow(/t:1: .*answers on https:\/\/127\.0\.0\.1:443; this example proxies plain http:\/\/ only/);
    expect(() => renderNginxTemplate('{{backend aoai-eastus-ptu2}}', 't', odd)).toThrow(/has a path/);
  });

  it('gives the endpoints a fleet started with --port-base will have, resource i on port-base + i unless the topology fixes its port', () => {
    const topology = { resources: [{ name: 'aoai-eastus-ptu1' }, { name: 'aoai-eastus-ptu2', port: 0 }, { name: 'aoai-eastus-payg', port: 19999 }] };
    expect(backendsAtPortBase(topology, 18500)).toEqual({
      backends: [
        { name: 'aoai-eastus-ptu1', endpoint: 'http://127.0.0.1:18500' },
        { name: 'aoai-eastus-ptu2', endpoint: 'http://127.0.0.1:18501' },
        { name: 'aoai-eastus-payg', endpoint: 'http://127.0.0.1:19999' },
      ],
    });
  });

  it('puts the --port-base endpoints on the topology\'s host, as the started fleet describes them (IPv6 in brackets)', () => {
    expect(backendsAtPortBase({ host: '::1', resources: [{ name: 'a' }, { name: 'b' }] }, 18500).backends.map((b) => b.endpoint)).toEqual(['http://[::1]:18500', 'http://[::1]:18501']);
    expect(backendsAtPortBase({ host: '127.0.0.2', resources: [{ name: 'a' }] }, 18500).backends[0]!.endpoint).toBe('http://127.0.0.2:18500');
  });

  it('names the template file it cannot read', () => {
    expect(() => renderNginxTemplateFile('/nonexistent/x.template', values)).toThrow('/nonexistent/x.template: cannot read the nginx template (ENOENT)');
  });
});

/** The directives of a configuration, comments and blank lines left out. */
function directives(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

function difference(a: string[], b: string[]): { removed: string[]; added: string[] } {
  return { removed: a.filter((line) => !b.includes(line)), added: b.filter((line) => !a.includes(line)) };
}

describe('the broken copies', () => {
  const example = directives(nginxTemplatePath);

  it('the no-backup copy is the example without the PAYG server, and nothing else', () => {
    expect(difference(example, directives(noBackupTemplatePath))).toEqual({ removed: ['server {{backend aoai-eastus-payg}} backup max_fails=0;'], added: [] });
  });

  it('the no-ejection copy is the example with max_fails=0 on the PTU servers, and nothing else', () => {
    expect(difference(example, directives(noEjectionTemplatePath))).toEqual({
      removed: ['server {{backend aoai-eastus-ptu1}} max_fails=3 fail_timeout=10s;', 'server {{backend aoai-eastus-ptu2}} max_fails=3 fail_timeout=10s;'],
      added: ['server {{backend aoai-eastus-ptu1}} max_fails=0 fail_timeout=10s;', 'server {{backend aoai-eastus-ptu2}} max_fails=0 fail_timeout=10s;'],
    });
  });
});

/**
 * expectations.json is written by hand from the template (README.md says why each field is
 * what it is); this reads the template's upstream and proxy_next_upstream back and checks
 * the file still says the same, so a change to one without the other fails here.
 */
describe('expectations.json', () => {
  const expectations = loadExpectationsFile(nginxExpectationsPath);
  const template = directives(nginxTemplatePath);
  const servers = template
    .map((line) => /^server \{\{backend (\S+)\}\}(.*);$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ name: match[1]!, backup: /\bbackup\b/.test(match[2]!), maxFails: Number(/max_fails=(\d+)/.exec(match[2]!)?.[1] ?? 1), failTimeoutS: Number(/fail_timeout=(\d+)s/.exec(match[2]!)?.[1] ?? 10) }));
  const nextUpstream = template.find((line) => line.startsWith('proxy_next_upstream '))!.split(/\s+/);

  it('lists the upstream\'s servers, the primary ones as PTU and the backup as PAYG, all in the one region', () => {
    expect(expectations.backends).toEqual(servers.map((s) => ({ name: s.name, region: 'East US', kind: s.backup ? 'payg' : 'ptu' })));
    expect(expectations.regions).toEqual(['East US']);
    expect(expectations.frontDoor).toBeNull();
  });

  it('gives a breaker to every server that can be ejected: count max_fails, interval and trip fail_timeout, Retry-After ignored, the statuses proxy_next_upstream lists', () => {
    const statuses = nextUpstream.filter((t) => /^http_\d+;?$/.test(t)).map((t) => Number(t.replace(/\D/g, '')));
    expect(statuses.length).toBeGreaterThan(0);
    const counted = (status: number): boolean => Object.values(expectations.breakers).every((b) => (b.failureStatusRanges ?? []).some((r) => r.min <= status && status <= r.max));
    for (let status = 400; status <= 599; status++) expect(counted(status), `status ${status}`).toBe(statuses.includes(status));
    const ejectable = servers.filter((s) => s.maxFails > 0);
    expect(Object.keys(expectations.breakers).sort()).toEqual(ejectable.map((s) => s.name).sort());
    for (const server of ejectable) {
      expect(expectations.breakers[server.name]).toMatchObject({ count: server.maxFails, intervalMs: server.failTimeoutS * 1000, tripDurationMs: server.failTimeoutS * 1000, acceptRetryAfter: false, counting: 'nginx-passive' });
    }
  });

  it('holds the consumers to k6.config.json\'s classes', () => {
    const k6Config = JSON.parse(readFileSync(new URL('../../k6.config.json', import.meta.url), 'utf8')) as { consumers: Record<string, { priority: string; tokensPerMinute: number }> };
    expect(expectations.consumers).toEqual(Object.fromEntries(Object.entries(k6Config.consumers).map(([name, c]) => [name, { tokensPerMinute: c.tokensPerMinute, priority: c.priority }])));
  });
});
