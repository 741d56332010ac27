#!/usr/bin/env node
// Spillway's sources are TypeScript run directly by Node's type stripping (on by default
// from Node 22.18 and 23.6). On an older Node this re-runs itself with the flag, or with a
// provisioned Node 24 when the machine's Node is older than 22.12, through the launcher
// (node-runtime.js), which tells the re-run process when it ends and passes signals on.
import { fileURLToPath } from 'node:url';
import { runWithNode } from './node-runtime.js';
import { watchNpmParent } from './npm-parent-watch.js';

if (process.features?.typescript) {
  // Started by npm without a launcher in between: what npm does not pass on is noticed here
  // and taken as the signal it stands for (see npm-parent-watch.js); a handler of the command
  // (a run, `fleet up`) stops cleanly, anything else ends as the signal would end it.
  watchNpmParent((signal) => process.kill(process.pid, signal));
  // Output is for people; the journal is the record. A reader that went away (the terminal
  // closed, a CI runner that killed the process it started) makes writes fail with EPIPE or
  // EIO, which would otherwise end the process on an unhandled 'error' event in the middle
  // of stopping k6 and the topology, before the journal is written.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  await import('../harness/cli/main.ts');
} else {
  runWithNode(['--experimental-strip-types', '--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { link: true });
}
