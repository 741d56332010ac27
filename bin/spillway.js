#!/usr/bin/env node
// Spillway's sources are TypeScript run directly by Node's type stripping (on by default
// from Node 22.18 and 23.6). On an older Node this re-runs itself with the flag, or with a
// provisioned Node 24 when the machine's Node is older than 22.12.
import { fileURLToPath } from 'node:url';
import { runWithNode } from './node-runtime.js';

if (process.features?.typescript) {
  await import('../harness/cli/main.ts');
} else {
  runWithNode(['--experimental-strip-types', '--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}
