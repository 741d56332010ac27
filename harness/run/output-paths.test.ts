import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutputFile, checkOutputFolder } from './output-paths.ts';

/** The checks refuse what cannot be written (bad-input.test.ts runs them through the CLI) and accept, without creating anything, what can. */
describe('output paths', () => {
  it('accepts a folder that exists, and one that can be created, creating nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'output-paths-'));
    expect(() => checkOutputFolder(dir, '--results')).not.toThrow();
    expect(() => checkOutputFolder(join(dir, 'a', 'b', 'c'), '--results')).not.toThrow();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('accepts a file that exists (leaving it as it was) or can be created, creating nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'output-paths-'));
    const file = join(dir, 'ledger.jsonl');
    writeFileSync(file, 'kept\n');
    expect(() => checkOutputFile(file, '--ledger')).not.toThrow();
    expect(readFileSync(file, 'utf8')).toBe('kept\n');
    expect(() => checkOutputFile(join(dir, 'new', 'ledger.jsonl'), '--ledger')).not.toThrow();
    expect(existsSync(join(dir, 'new'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['ledger.jsonl']);
  });

  it('refuses a file where a folder must be, and a folder where a file must be, naming the flag and the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'output-paths-'));
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    mkdirSync(join(dir, 'folder'));
    expect(() => checkOutputFolder(file, '--results')).toThrow(`--results ${file}: is a file, not a folder`);
    expect(() => checkOutputFolder(join(file, 'x', 'y'), '--logs')).toThrow(`--logs ${join(file, 'x', 'y')}: cannot be created: ${file} is a file, not a folder`);
    expect(() => checkOutputFile(join(dir, 'folder'), '--ledger')).toThrow(`--ledger ${join(dir, 'folder')}: is a folder, not a file`);
    expect(readdirSync(dir).sort()).toEqual(['folder', 'plain']);
  });

  it.skipIf(!existsSync('/proc/self'))('refuses a place where nothing can be created, even for root (procfs)', () => {
    expect(() => checkOutputFile('/proc/spillway-nope/x.jsonl', '--ledger')).toThrow('--ledger /proc/spillway-nope/x.jsonl: cannot be written: nothing can be created in /proc');
  });
});
