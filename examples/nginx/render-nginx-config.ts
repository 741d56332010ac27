/**
 * Renders the nginx example for a person to start nginx by hand (README.md, "Running it by hand"):
 *
 *   node bin/run-ts.js examples/nginx/render-nginx-config.ts --port-base 18500 [--topology FILE] [--listen 18480] [--prefix DIR] [--template FILE]
 *   node bin/run-ts.js examples/nginx/render-nginx-config.ts --fleet fleet.json [--listen 18480] [--prefix DIR] [--template FILE]
 *
 * `--port-base` is for `spillway run --gateway-url ... --port-base N`, where the run starts the
 * fleet itself on port N + i: the backends' addresses come from the topology, with nothing
 * running (a fleet started only to describe itself would hold the very ports the run needs).
 * `--fleet` is for attaching to a fleet already up: the line `spillway fleet up --json` printed.
 * Writes DIR/nginx.conf (DIR defaults to ./results/nginx) and prints the command that starts
 * nginx with it and the run to point at it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fleetDescriptionSchema } from '../../harness/contracts/fleet-description.ts';
import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';
import { parseNumberOption } from '../../harness/cli/option-parsers.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { compareVersions, findNginx } from './find-nginx.ts';
import { backendsAtPortBase, exampleListenPort, nginxExpectationsPath, nginxTemplatePath, renderNginxTemplateFile, type NginxTemplateValues } from './nginx-config.ts';

const exampleListen = `127.0.0.1:${exampleListenPort}`;

/** Where the backends' addresses come from, and the flags that say so to `spillway run`. */
interface FleetSource {
  fleet: NginxTemplateValues['fleet'];
  /** What `spillway run` needs to reach (or start) the same fleet. */
  runFlags: string[];
  /** For messages: "--port-base 18500 with mocks/aoai/default-topology.json". */
  origin: string;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      fleet: { type: 'string' },
      'port-base': { type: 'string' },
      topology: { type: 'string' },
      listen: { type: 'string', default: exampleListen },
      prefix: { type: 'string', default: join('results', 'nginx') },
      template: { type: 'string', default: nginxTemplatePath },
    },
    strict: true,
  });
  const source = fleetSource(values.fleet, values['port-base'], values.topology);
  const listen = parseListen(values.listen);
  refuseListenOnFleetPort(listen, source);
  const prefix = resolve(values.prefix);
  const config = renderNginxTemplateFile(resolve(values.template), { listen, prefix, fleet: source.fleet });
  // Everything is checked; only now is anything written.
  mkdirSync(prefix, { recursive: true });
  const configPath = join(prefix, 'nginx.conf');
  writeFileSync(configPath, config);
  const start = await nginxCommand(prefix, configPath);
  const run = ['SPILLWAY_KEY_USER_FACING=x', 'SPILLWAY_KEY_CRITICAL_OPS=x', 'node', 'bin/spillway.js', 'run', 'spillover', '--gateway-url', `http://${listen}`, ...source.runFlags, '--health-path', '/healthz', '--expectations', shownPath(nginxExpectationsPath)];
  process.stdout.write(
    `wrote ${configPath} for ${source.origin}\n` +
      `start nginx in the foreground with:\n  ${start.command}\n${start.note ? `  (${start.note})\n` : ''}` +
      `then run a scenario against it (nginx checks no key; the run wants one per consumer class, any value):\n  ${run.map(shellWord).join(' ')}\n`,
  );
}

function fleetSource(fleetFile: string | undefined, portBaseText: string | undefined, topologyFile: string | undefined): FleetSource {
  if (fleetFile !== undefined && portBaseText !== undefined) {
    throw new UserFacingError('--fleet and --port-base: give one, --port-base N when `spillway run --port-base N` starts the fleet, --fleet FILE when it attaches to one already up');
  }
  if (portBaseText !== undefined) {
    const portBase = parsePortBase(portBaseText);
    const topologyPath = resolve(topologyFile ?? defaultTopologyPath);
    const topology = loadTopology(topologyPath, topologyFile !== undefined);
    const topologyFlags = topologyFile !== undefined ? ['--topology', topologyFile] : [];
    return { fleet: backendsAtPortBase(topology, portBase), runFlags: ['--port-base', String(portBase), ...topologyFlags], origin: `--port-base ${portBase} with ${shownPath(topologyPath)}` };
  }
  if (topologyFile !== undefined) throw new UserFacingError(`--topology ${topologyFile}: goes with --port-base; with --fleet the fleet file already says where each backend is`);
  if (fleetFile === undefined) {
    throw new UserFacingError('--port-base <n> or --fleet <file> is required: --port-base N when `spillway run --port-base N` starts the fleet, --fleet with the line `spillway fleet up --json` printed');
  }
  return { fleet: readFleet(fleetFile), runFlags: ['--fleet', fleetFile], origin: `--fleet ${fleetFile}` };
}

/** TopologyError names the file and the field; the flag is added when the file came from one. */
function loadTopology(path: string, fromFlag: boolean): ReturnType<typeof loadTopologyFile> {
  try {
    return loadTopologyFile(path);
  } catch (error) {
    if (fromFlag && error instanceof UserFacingError) throw new UserFacingError(`--topology: ${error.message}`);
    throw error;
  }
}

/** The same rule as `spillway run --port-base` and `spillway fleet up --port-base`. */
function parsePortBase(text: string): number {
  try {
    return parseNumberOption('--port-base', { integer: true, min: 1, max: 65000 })(text);
  } catch (error) {
    throw new UserFacingError(error instanceof Error ? error.message : String(error));
  }
}

/** A bare port means 127.0.0.1:port; otherwise a loopback host and port, as nginx's `listen` takes it. */
function parseListen(text: string): string {
  const listen = /^\d+$/.test(text) ? `127.0.0.1:${text}` : text;
  const match = /^(?:127\.\d+\.\d+\.\d+|\[::1\]|localhost):(\d+)$/.exec(listen);
  if (!match) throw new UserFacingError(`--listen ${text}: give a loopback address and port, such as ${exampleListen} (or a port alone: ${exampleListenPort}); the example has no authentication of its own`);
  const port = Number(match[1]);
  if (port < 1 || port > 65535) throw new UserFacingError(`--listen ${text}: port ${port} is not between 1 and 65535`);
  return listen;
}

/** nginx would take the port first and the run's fleet then fail to start, or the other way round. */
function refuseListenOnFleetPort(listen: string, source: FleetSource): void {
  const listenUrl = new URL(`http://${listen}`);
  for (const backend of source.fleet.backends) {
    const url = URL.parse(backend.endpoint);
    if (!url || url.port !== listenUrl.port) continue;
    if (url.hostname === listenUrl.hostname || url.hostname === '0.0.0.0' || url.hostname === '[::]') {
      throw new UserFacingError(`--listen ${listen}: ${backend.name} listens on that port (${backend.endpoint}, ${source.origin}); give nginx another port`);
    }
  }
}

function readFleet(file: string): ReturnType<typeof fleetDescriptionSchema.parse> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserFacingError(`--fleet ${file}: cannot read it as JSON (${(error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error))})`);
  }
  const parsed = fleetDescriptionSchema.safeParse(raw);
  if (!parsed.success) throw new UserFacingError(`--fleet ${file}: not a fleet description:\n${parsed.error.issues.map((i) => `  ${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n')}`);
  return parsed.data;
}

/** The command nginx-process.ts would run, with the nginx found here (Debian's is in /usr/sbin, which a non-root PATH may lack). */
async function nginxCommand(prefix: string, configPath: string): Promise<{ command: string; note?: string }> {
  const lookup = await findNginx();
  const binary = lookup.status === 'found' ? lookup.nginx.path : 'nginx';
  // -e stderr (1.19.5): the log nginx writes before reading its configuration goes to stderr,
  // not to a compiled-in file a non-root user may not be able to open (as nginx-process.ts).
  const errorLog = lookup.status === 'missing' || compareVersions(lookup.nginx.version, '1.19.5') >= 0 ? ['-e', 'stderr'] : [];
  const command = [binary, ...errorLog, '-p', `${prefix}/`, '-c', configPath, '-g', 'daemon off; master_process off;'].map(shellWord).join(' ');
  return lookup.status === 'found' ? { command } : { command, note: lookup.reason };
}

/** A path relative to the working directory when it is inside it, as a person would type it. */
function shownPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside && !inside.startsWith('..') && !inside.startsWith('/') ? inside : path;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UserFacingError) && !(error instanceof TypeError && 'code' in error)) throw error;
  process.stderr.write(`render-nginx-config: ${error.message}\n`);
  process.exitCode = 2;
}
