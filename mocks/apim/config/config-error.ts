/**
 * Problems found while loading a gateway configuration. Loading collects every problem before
 * failing, so one run shows a team everything to fix; nothing starts on a bad configuration.
 */
import { UserFacingError } from '../../../harness/contracts/user-facing-error.ts';

export interface ConfigProblem {
  file: string;
  line?: number;
  /** Dotted path inside the file, e.g. properties.pool.services[2].weight. */
  field?: string;
  message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return problem.field === undefined ? `${where}: ${problem.message}` : `${where}: ${problem.field}: ${problem.message}`;
}

/**
 * Thrown once with every problem. A UserFacingError, so the CLI prints the message without a
 * stack trace.
 */
export class ConfigError extends UserFacingError {
  readonly problems: readonly ConfigProblem[];

  constructor(dir: string, problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid APIM configuration in ${dir} (${count}):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Where loaders report problems; shared by every part of one load. */
export class Problems {
  readonly list: ConfigProblem[] = [];

  add(problem: ConfigProblem): void {
    this.list.push(problem);
  }

  get count(): number {
    return this.list.length;
  }
}

/** Turns a zod-style path into the dotted form used in messages: a.b[2].c */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
