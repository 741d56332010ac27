/**
 * The evidence a drill's before-gate judges while the method's load still runs: what k6 and the
 * gateway have written so far, copied into the drill's folder (before-gate/) as the gate saw it.
 *
 * Both are written as the run goes: k6's `--out json` file (its JSON output flushes every
 * 200 ms or so) and the emulator's gateway tables (shared/jsonl-writer.ts, a batch every
 * 100 ms; gateways that run as their own processes write theirs into process-<region>/
 * folders, merged only when the run ends, so they are gathered here too). A writer may be in
 * the middle of a line when the copy is taken: only whole lines are copied.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayLogTable, llmLogTable } from '../contracts/gateway-log-rows.ts';
import { evidencePaths } from '../evidence/collect-evidence.ts';

export interface EvidenceSoFar {
  /** k6's samples so far (its `--out json` lines). */
  samples: string;
  /** The gateway's tables so far, as the emulator names them. */
  logsDir: string;
}

export function snapshotEvidenceSoFar(runDir: string, into: string): EvidenceSoFar {
  const paths = evidencePaths(runDir);
  const logsDir = join(into, 'gateway-logs');
  mkdirSync(logsDir, { recursive: true });
  const samples = join(into, 'k6-samples.json');
  writeFileSync(samples, wholeLines(paths.client));
  const processDirs = existsSync(paths.logsDir)
    ? readdirSync(paths.logsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name.startsWith('process-'))
        .map((entry) => join(paths.logsDir, entry.name))
    : [];
  for (const table of [gatewayLogTable, llmLogTable]) {
    writeFileSync(join(logsDir, `${table}.jsonl`), [paths.logsDir, ...processDirs].map((dir) => wholeLines(join(dir, `${table}.jsonl`))).join(''));
  }
  return { samples, logsDir };
}

/** The file's text up to its last newline (a line still being written is left out); '' when there is no file. */
export function wholeLines(file: string): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1);
}
