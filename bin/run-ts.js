#!/usr/bin/env node
// Runs a TypeScript file of this repository (a benchmark, a script) with a Node that can
// strip types, provisioning one if needed: `node bin/run-ts.js bench/x.bench.ts [args]`.
import { runWithNode } from './node-runtime.js';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bin/run-ts.js <file.ts> [args...]\n');
  process.exit(2);
}
runWithNode(['--experimental-strip-types', '--disable-warning=ExperimentalWarning', file, ...args], { link: true });
