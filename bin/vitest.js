#!/usr/bin/env node
// `npm test` runs vitest through here, so that it works on a machine whose Node is older
// than vitest needs: a suitable Node is found or provisioned first (see node-runtime.js).
import { fileURLToPath } from 'node:url';
import { runWithNode } from './node-runtime.js';

runWithNode([fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url)), ...process.argv.slice(2)]);
