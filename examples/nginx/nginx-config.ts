import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FleetDescription } from '../../harness/contracts/fleet-description.ts';
import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';
import { httpOrigin } from '../../mocks/shared/restartable-listener.ts';

/**
 * Renders the nginx example's template (nginx.conf.template and its broken copies) for one
 * fleet: `{{listen}}`, `{{prefix}}` and `{{backend NAME}}` become the listen address, nginx's
 * run folder and the host:port of the fleet's backend NAME. The template names its backends
 * rather than taking "the PTU ones", so which resource sits where in the upstream stays
 * readable in the configuration itself. Anything else in double braces, or a backend the
 * fleet does not have, is refused with the template's file and line: a half-rendered
 * configuration would fail later inside nginx with a message about the wrong file.
 */
export class NginxTemplateError extends UserFacingError {}

const here = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** The example, as documented in README.md. */
export const nginxTemplatePath = here('nginx.conf.template');
/** The same with the PAYG backup left out of the upstream. */
export const noBackupTemplatePath = here('nginx.no-backup.conf.template');
/** The same with passive ejection off on the PTU servers (max_fails=0). */
export const noEjectionTemplatePath = here('nginx.no-ejection.conf.template');
/** What Spillway holds the example to (harness/verify/expectations-file.ts). */
export const nginxExpectationsPath = here('expectations.json');

/**
 * The port nginx listens on when the example is run by hand (README.md, render-nginx-config.ts);
 * the fleet behind it goes on 18500 and up there. Tests take free ports instead.
 */
export const exampleListenPort = 18480;

export interface NginxTemplateValues {
  /** The address nginx listens on, as nginx's `listen` takes it: 127.0.0.1:18480. */
  listen: string;
  /** nginx's run folder (absolute): pid, logs and temporary files go there. */
  prefix: string;
  /** The fleet the gateway sends to (`spillway fleet up --json`, or backendsAtPortBase). */
  fleet: { backends: readonly Pick<FleetDescription['backends'][number], 'name' | 'endpoint'>[] };
}

/**
 * The backends a fleet of this topology WILL have once started with `--port-base` (resource i
 * on portBase + i, unless the topology fixes its port, on the topology's host: mocks/aoai/fleet.ts),
 * for configuring nginx before the fleet runs, as with `spillway run --gateway-url ... --port-base n`,
 * which starts the fleet itself. The endpoints are written as the running fleet's description
 * writes them (httpOrigin), so both ways render the same configuration.
 */
export function backendsAtPortBase(topology: { host?: string; resources: readonly { name: string; port?: number }[] }, portBase: number): NginxTemplateValues['fleet'] {
  const host = topology.host ?? '127.0.0.1';
  return { backends: topology.resources.map((resource, index) => ({ name: resource.name, endpoint: httpOrigin(host, resource.port ? resource.port : portBase + index) })) };
}

const placeholder = /\{\{([^{}]*)\}\}/g;

export function renderNginxTemplate(template: string, source: string, values: NginxTemplateValues): string {
  const problems: string[] = [];
  const lines = template.split('\n').map((line, index) => {
    // Comments are left as written: they may show a placeholder to explain it.
    const code = line.slice(0, commentStart(line));
    const rendered = code.replace(placeholder, (whole, inner: string) => {
      const value = placeholderValue(inner.trim(), values);
      if (typeof value === 'string') return value;
      problems.push(`${source}:${index + 1}: ${whole}: ${value.problem}`);
      return whole;
    });
    return rendered + line.slice(code.length);
  });
  if (problems.length > 0) throw new NginxTemplateError(`cannot render the nginx configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return lines.join('\n');
}

export function renderNginxTemplateFile(path: string, values: NginxTemplateValues): string {
  let template: string;
  try {
    template = readFileSync(path, 'utf8');
  } catch (error) {
    throw new NginxTemplateError(`${path}: cannot read the nginx template (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return renderNginxTemplate(template, path, values);
}

/** Where a line's comment starts (a # outside quotes), or its length when it has none. */
function commentStart(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return i;
  }
  return line.length;
}

function placeholderValue(inner: string, values: NginxTemplateValues): string | { problem: string } {
  if (inner === 'listen') return values.listen;
  if (inner === 'prefix') return values.prefix;
  const backend = /^backend\s+(\S+)$/.exec(inner);
  if (!backend) return { problem: 'not a placeholder this template knows ({{listen}}, {{prefix}}, {{backend NAME}})' };
  const name = backend[1]!;
  const found = values.fleet.backends.find((b) => b.name === name);
  if (!found) return { problem: `no backend named "${name}" in the fleet (it has ${values.fleet.backends.map((b) => b.name).join(', ')})` };
  return upstreamAddress(found.endpoint, name);
}

/** http://127.0.0.1:18500 → 127.0.0.1:18500, as an upstream `server` takes it. */
function upstreamAddress(endpoint: string, name: string): string | { problem: string } {
  const url = URL.parse(endpoint);
  if (!url || url.protocol !== 'http:') return { problem: `backend "${name}" answers on ${endpoint}; this example proxies plain http:// only` };
  if (url.pathname !== '/' && url.pathname !== '') return { problem: `backend "${name}" has a path (${endpoint}); an upstream server is a host and port only` };
  return `${url.hostname}:${url.port || '80'}`;
}
