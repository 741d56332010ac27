import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2));

// Once nothing is left to do, exit explicitly rather than by running off the end. A natural
// exit tears the environment down first, and closing its signal watchers puts SIGINT back to
// the default action some 20 ms before the process ends: a second Ctrl-C landing then (a
// terminal's group signal plus the launcher's forwarded copy, when the run stops quickly)
// killed a run that had written its journal, turning exit code 2 into death by SIGINT.
// process.exit leaves the watchers installed, and 'beforeExit' comes only once every stream
// has flushed and every handle has closed, so nothing is cut short.
process.once('beforeExit', () => process.exit());
