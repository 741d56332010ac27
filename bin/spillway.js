#!/usr/bin/env -S node --experimental-strip-types --disable-warning=ExperimentalWarning
// Spillway's sources are TypeScript run directly by Node's type stripping (on by default
// from Node 23.6; the flag above turns it on for Node 22.12 and later).
import '../harness/cli/main.ts';
