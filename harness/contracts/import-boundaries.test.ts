/**
 * The import rules that keep the evidence contracts the only bridge between the parts
 * (docs/contracts.md):
 * - the verifiers (harness/verify) import nothing from mocks/, types included: they judge
 *   evidence through the contracts, whoever produced it;
 * - reports/ imports only the contracts (and its own files): a report is rendered from a
 *   journal alone;
 * - harness/contracts imports only zod and itself, so that importing a contract brings in
 *   nothing else;
 * - mocks/ reaches into harness/ only for the contracts.
 * Every static import, re-export and dynamic import of every source file is checked, with
 * TypeScript's own pre-parser (comments and strings that mention an import do not count).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..', '..');

interface ImportSite {
  /** The importing file, relative to the repository. */
  file: string;
  line: number;
  specifier: string;
  /** The imported file relative to the repository, for a relative specifier; else null (a package). */
  target: string | null;
}

function sourceFiles(folder: string): string[] {
  return (readdirSync(join(repo, folder), { recursive: true }) as string[]).filter((name) => name.endsWith('.ts')).map((name) => join(folder, name).split(sep).join('/'));
}

function importsOf(file: string): ImportSite[] {
  const text = readFileSync(join(repo, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  return ts.preProcessFile(text, true, true).importedFiles.map((ref) => ({
    file,
    line: source.getLineAndCharacterOfPosition(ref.pos).line + 1,
    specifier: ref.fileName,
    target: ref.fileName.startsWith('.') ? relative(repo, resolve(repo, dirname(file), ref.fileName)).split(sep).join('/') : null,
  }));
}

const isTest = (file: string): boolean => file.endsWith('.test.ts');
const under = (path: string | null, folder: string): boolean => path !== null && path.startsWith(`${folder}/`);
const describeSite = (site: ImportSite, why: string): string => `${site.file}:${site.line}: imports '${site.specifier}': ${why}`;

/**
 * Imports of mocks/ a verifier may make, each with its reason, listed by importer and target so
 * that a new one fails; an entry no longer used fails as well, so the list cannot go stale.
 * There are none: the error base class lives in harness/contracts, and the seeded model that
 * sizes the breaker plans (it draws with the mocks' generator) lives in harness/sizing.
 */
const verifierExceptions: Record<string, string> = {};

/**
 * Packages reports/ may import: Node's own modules (the run folder is read from disk,
 * reports/run-folder.ts) and zod (the journals' shapes); the HTML report's chart library
 * (uplot), bundled into the page by esbuild at build time (reports/html); in tests, vitest and
 * playwright-core (the browser test of the HTML report). Nothing of the harness's own.
 */
function reportPackageAllowed(site: ImportSite): boolean {
  if (site.specifier.startsWith('node:') || site.specifier === 'zod') return true;
  if (under(site.file, 'reports/html') && (site.specifier === 'uplot' || site.specifier.startsWith('uplot/') || site.specifier === 'esbuild')) return true;
  return isTest(site.file) && (site.specifier === 'vitest' || site.specifier === 'playwright-core');
}

/** Every rule's violations, as lines naming the file, the line and the import. */
function importViolations(): { violations: string[]; staleExceptions: string[]; checked: Record<string, number> } {
  const violations: string[] = [];
  const usedExceptions = new Set<string>();
  const checked: Record<string, number> = {};
  const check = (rule: string, files: string[], why: string, allowed: (site: ImportSite) => boolean): void => {
    checked[rule] = files.length;
    for (const site of files.flatMap(importsOf)) if (!allowed(site)) violations.push(describeSite(site, why));
  };

  // Tests beside the verifiers may hold them against the real emulator (the sample's topology
  // and configuration, the real token limiter): the rule is for the code that judges.
  check('verifiers', sourceFiles('harness/verify').filter((f) => !isTest(f)), 'the verifiers read evidence through harness/contracts, never from mocks/', (site) => {
    if (!under(site.target, 'mocks')) return true;
    const key = `${site.file} -> ${site.target}`;
    if (verifierExceptions[key] === undefined) return false;
    usedExceptions.add(key);
    return true;
  });
  check('reports', sourceFiles('reports'), 'reports/ imports only harness/contracts (and its own files)', (site) =>
    site.target === null ? reportPackageAllowed(site) : under(site.target, 'harness/contracts') || under(site.target, 'reports'),
  );
  check('contracts', sourceFiles('harness/contracts').filter((f) => !isTest(f)), 'a contract imports only zod and other contracts', (site) =>
    site.target === null ? site.specifier === 'zod' : under(site.target, 'harness/contracts'),
  );
  check('mocks', sourceFiles('mocks').filter((f) => !isTest(f)), 'the mocks reach into harness/ only for harness/contracts', (site) => !under(site.target, 'harness') || under(site.target, 'harness/contracts'));

  const staleExceptions = Object.keys(verifierExceptions).filter((key) => !usedExceptions.has(key));
  return { violations, staleExceptions, checked };
}

describe('import boundaries', () => {
  it('hold in every source file of harness/verify, reports, harness/contracts and mocks', () => {
    const { violations, staleExceptions, checked } = importViolations();
    // The scan found the files it is about: an empty folder would make every rule pass.
    for (const [rule, count] of Object.entries(checked)) expect(count, `files checked by the ${rule} rule`).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    expect(staleExceptions, 'listed exceptions no file makes any more: remove them').toEqual([]);
  });

  it('sees static imports, type imports, re-exports and dynamic imports, and not the ones in comments', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "const e = await import('./e.ts');",
      "// import { f } from './f.ts';",
      "const g = \"import { h } from './h.ts'\";",
    ].join('\n');
    expect(ts.preProcessFile(text, true, true).importedFiles.map((ref) => ref.fileName)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts']);
  });
});
