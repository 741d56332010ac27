/**
 * Renders the nginx example for a running fleet, for a person to start nginx by hand:
 *
 *   node bin/run-ts.js examples/nginx/render-nginx-config.ts --fleet fleet.json [--listen 127.0.0.1:18480] [--prefix DIR] [--template FILE]
 *
 * `fleet.json` is the line `spillway fleet up --json` printed. Writes DIR/nginx.conf (DIR
 * defaults to ./results/nginx) and prints the command that starts nginx with it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fleetDescriptionSchema } from '../../harness/contracts/fleet-description.ts';
import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';
import { exampleListenPort, nginxTemplatePath, renderNginxTemplateFile } from './nginx-config.ts';

const exampleListen = `127.0.0.1:${exampleListenPort}`;

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      fleet: { type: 'string' },
      listen: { type: 'string', default: exampleListen },
      prefix: { type: 'string', default: join('results', 'nginx') },
      template: { type: 'string', default: nginxTemplatePath },
    },
    strict: true,
  });
  if (!values.fleet) throw new UserFacingError('--fleet <file> is required: the line `spillway fleet up --json` printed, saved to a file');
  const fleet = readFleet(values.fleet);
  if (!/^(?:127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/.test(values.listen)) {
    throw new UserFacingError(`--listen ${values.listen}: give a loopback address and port, such as ${exampleListen} (the example has no authentication of its own)`);
  }
  const prefix = resolve(values.prefix);
  const config = renderNginxTemplateFile(resolve(values.template), { listen: values.listen, prefix, fleet });
  mkdirSync(prefix, { recursive: true });
  const configPath = join(prefix, 'nginx.conf');
  writeFileSync(configPath, config);
  process.stdout.write(`wrote ${configPath}\nstart it in the foreground with:\n  nginx -e stderr -p ${prefix}/ -c ${configPath} -g 'daemon off; master_process off;'\n`);
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

try {
  main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UserFacingError) && !(error instanceof TypeError && 'code' in error)) throw error;
  process.stderr.write(`render-nginx-config: ${error.message}\n`);
  process.exitCode = 2;
}
