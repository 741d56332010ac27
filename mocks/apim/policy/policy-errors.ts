/**
 * Load-time problems of a policy document and the error that carries them.
 *
 * A compile collects every problem it can find instead of stopping at the first, so that
 * `gateway check` can list everything a user has to fix (or everything the emulator cannot
 * run) in one pass. Each problem points at the original file position (before named values
 * were substituted) so editors can jump to it.
 */

/**
 * What kind of problem it is. `unsupported-*` means "real APIM, but the emulator cannot run
 * it" and is deliberately distinct from `unknown-*` ("not APIM at all", usually a typo).
 */
export type PolicyProblemCode =
  | 'malformed-xml'
  | 'invalid-structure'
  | 'unknown-element'
  | 'unsupported-element'
  | 'unknown-attribute'
  | 'unsupported-attribute'
  | 'missing-attribute'
  | 'invalid-value'
  | 'invalid-expression'
  | 'misplaced-element'
  | 'unknown-named-value'
  | 'unknown-fragment'
  | 'fragment-cycle';

export interface PolicyProblem {
  readonly code: PolicyProblemCode;
  readonly file: string;
  /** 1-based line in the original file. */
  readonly line: number;
  /** 1-based column in the original file (UTF-16 code units, as editors count them). */
  readonly column: number;
  /** The element the problem is about, e.g. "retry" or "set-header" (the document root for XML errors). */
  readonly element: string;
  /** What is wrong, without the position prefix. */
  readonly message: string;
}

/** `"<file>:<line>:<column>: <element>: <what is wrong>"`, the one-line form every tool prints. */
export function formatProblem(problem: PolicyProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.element}: ${problem.message}`;
}

/**
 * Thrown when a document does not compile. The top-level fields describe the first problem
 * (in document order); `problems` holds all of them, and the message lists all of them, one
 * per line, so printing the error is enough.
 */
export class PolicyCompileError extends Error {
  override readonly name = 'PolicyCompileError';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly element: string;
  readonly code: PolicyProblemCode;
  readonly problems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[]) {
    if (problems.length === 0) throw new Error('PolicyCompileError needs at least one problem');
    const sorted = sortProblems(problems);
    super(sorted.map(formatProblem).join('\n'));
    const first = sorted[0] as PolicyProblem;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.element = first.element;
    this.code = first.code;
    this.problems = sorted;
  }
}

/** Document order: by file, then line, then column; stable for problems at the same spot. */
export function sortProblems(problems: readonly PolicyProblem[]): PolicyProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.file === b.p.file ? 0 : a.p.file < b.p.file ? -1 : 1) || a.p.line - b.p.line || a.p.column - b.p.column || a.i - b.i)
    .map(({ p }) => p);
}
