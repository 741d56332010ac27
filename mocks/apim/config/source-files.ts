/**
 * Reading the artifact folder's files and reporting what is wrong with them by file, line and
 * field. JSON is parsed with JSON.parse (so anything APIM would reject as JSON is rejected here
 * too); the yaml package, which reads JSON as well, is used to find the line of a field and to
 * parse YAML specifications.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatFieldPath } from './config-error.ts';
import type { Problems } from './config-error.ts';

export interface SourceText {
  file: string;
  text: string;
}

export interface ParsedSource extends SourceText {
  value: unknown;
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Sub-folder names, sorted so problems and results come out in a stable order; [] if absent. */
export function listDirectories(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export function readText(file: string, problems: Problems): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    problems.add({ file, message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    return undefined;
  }
}

/** Line (1-based) and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Parses JSON, reporting a syntax error with its line and column. */
export function parseJson(source: SourceText, problems: Problems): ParsedSource | undefined {
  try {
    return { ...source, value: JSON.parse(source.text) as unknown };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    // V8 reports "… at position N (line L column C)"; people look for the line, which goes in
    // the problem's line slot, and the column, which stays in the message.
    const reason = raw.replace(/\s*in JSON at position \d+.*$/s, '').replace(/,\s*".*" is not valid JSON$/s, '');
    const position = /position (\d+)/.exec(raw);
    if (position) {
      const { line, column } = lineAndColumn(source.text, Number(position[1]));
      problems.add({ file: source.file, line, message: `not valid JSON at column ${column}: ${reason}` });
    } else if (/end of JSON input/.test(raw)) {
      problems.add({ file: source.file, line: source.text.split('\n').length, message: `not valid JSON: ${reason}` });
    } else {
      problems.add({ file: source.file, message: `not valid JSON: ${reason}` });
    }
    return undefined;
  }
}

export function readJsonFile(file: string, problems: Problems): ParsedSource | undefined {
  const text = readText(file, problems);
  if (text === undefined) return undefined;
  return parseJson({ file, text }, problems);
}

/** Parses YAML, reporting each syntax error with its line. */
export function parseYaml(source: SourceText, problems: Problems): ParsedSource | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const firstLine = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
      const pos = error.linePos?.[0];
      problems.add({
        file: source.file,
        ...(pos ? { line: pos.line } : {}),
        message: `not valid YAML${pos ? ` at column ${pos.col}` : ''}: ${firstLine}`,
      });
    }
    return undefined;
  }
  return { ...source, value: doc.toJS() as unknown };
}

/**
 * The line of a field in a JSON or YAML text, or of its nearest enclosing node when the field
 * itself is missing (so "is required" points at the object that lacks it).
 */
export function locateLine(text: string, path: readonly PropertyKey[]): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  for (let length = path.length; length >= 0; length--) {
    const keys = path.slice(0, length).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const node = length === 0 ? doc.contents : doc.getIn(keys, true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

/** Rewords zod's defaults where they read badly for a configuration file. */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'is required';
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

/** Validates parsed content with a zod schema, reporting each issue with its field and line. */
export function validate<T>(schema: z.ZodType<T>, source: ParsedSource, problems: Problems): T | undefined {
  const result = schema.safeParse(source.value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const line = locateLine(source.text, issue.path);
    const field = formatFieldPath(issue.path);
    problems.add({
      file: source.file,
      ...(line !== undefined ? { line } : {}),
      ...(field !== '' ? { field } : {}),
      message: issueMessage(issue),
    });
  }
  return undefined;
}
