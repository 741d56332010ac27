/**
 * Offsets to 1-based line/column, and the mapping from the named-value-substituted text back
 * to the original file. The XML parser and the expression compiler only ever see the
 * substituted text; every position they report goes through here so messages point at the
 * line the user actually wrote.
 */
import type { SourceLocation } from './policy-ast.ts';

/** Line starts of a text, for offset → line/column. Only '\n' breaks lines (input is normalised). */
export class LineIndex {
  private readonly starts: number[];

  constructor(text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    this.starts = starts;
  }

  locate(offset: number): { line: number; column: number } {
    // Binary search for the last line start <= offset.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] as number) + 1 };
  }
}

/** One named-value replacement: `[start, end)` in the substituted text came from `[origStart, origEnd)`. */
export interface Replacement {
  readonly start: number;
  readonly end: number;
  readonly origStart: number;
  readonly origEnd: number;
}

/**
 * Maps offsets in the text the parser sees back to the original file. The text is produced by
 * successive rewrites (named-value substitution, then escaping of inline expressions), each
 * described by a list of Replacements; `layers[0]` is the first rewrite. An offset inside a
 * replaced range maps to the start of what it replaced (a substituted value has no position
 * of its own in the file). Because mapping works on offsets, values that contain newlines do
 * not shift later lines.
 */
export class SourceMap {
  readonly file: string;
  private readonly lines: LineIndex;
  private readonly layers: readonly (readonly Replacement[])[];

  constructor(file: string, originalText: string, layers: readonly (readonly Replacement[])[]) {
    this.file = file;
    this.lines = new LineIndex(originalText);
    this.layers = layers;
  }

  /** The offset in the output of rewrite `layer - 1` (0 = the original text) of a final-text offset. */
  toLayer(offset: number, layer: number): number {
    let o = offset;
    for (let i = this.layers.length - 1; i >= layer; i--) o = back(o, this.layers[i] as readonly Replacement[]);
    return o;
  }

  /** Original offset of a final-text offset. */
  toOriginal(offset: number): number {
    return this.toLayer(offset, 0);
  }

  /** Source location of a final-text offset. */
  at(offset: number): SourceLocation {
    const { line, column } = this.lines.locate(this.toOriginal(offset));
    return { file: this.file, line, column };
  }
}

function back(offset: number, replacements: readonly Replacement[]): number {
  let delta = 0;
  for (const r of replacements) {
    if (offset < r.start) break;
    if (offset < r.end) return r.origStart;
    delta = r.origEnd - r.end;
  }
  return offset + delta;
}

/** Whether `[start, end)` touches one of `ranges` (all in the same coordinates). */
export function overlaps(start: number, end: number, ranges: readonly Replacement[]): boolean {
  return ranges.some((r) => r.start < Math.max(end, start + 1) && start < r.end);
}
