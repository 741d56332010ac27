import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultK6ConfigFile } from './run-input.ts';

/**
 * For tests: a k6.config.json in `dir` holding the repository's consumer classes (their keys and
 * budgets, which the sample gateway configuration knows) and the scenarios a test plans. Returns
 * its path, for `--k6-config` or RunOptions.k6ConfigFile.
 */
export function writeK6ConfigWith(dir: string, scenarios: Record<string, unknown>): string {
  const { consumers } = JSON.parse(readFileSync(defaultK6ConfigFile, 'utf8')) as { consumers: unknown };
  const file = join(dir, 'k6.config.json');
  writeFileSync(file, JSON.stringify({ consumers, scenarios }));
  return file;
}
