/**
 * The drills there are: every <name>.drill.json in the drills folder (default drills/ at the
 * repository's root), in name order, which is the order `spillway drill --all` runs them in.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DrillFileError, drillNameOf, drillSuffix, loadDrill, type Drill } from './drill-file.ts';

export const defaultDrillsDir = fileURLToPath(new URL('../../drills', import.meta.url));

export function drillFiles(drillsDir: string = defaultDrillsDir): string[] {
  const dir = resolve(drillsDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DrillFileError(`--drills ${dir}: not a folder of drill files`);
  return readdirSync(dir)
    .filter((f) => f.endsWith(drillSuffix))
    .sort()
    .map((f) => join(dir, f));
}

/** Every drill, each checked; all the problems of all the files at once, before anything starts. */
export function loadDrills(files: readonly string[], k6ConfigFile: string): Drill[] {
  const drills: Drill[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      drills.push(loadDrill(file, k6ConfigFile));
    } catch (error) {
      if (!(error instanceof DrillFileError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new DrillFileError(problems.join('\n'));
  return drills;
}

/** One drill by name, or an error listing the drills there are. */
export function drillFileByName(name: string, drillsDir: string = defaultDrillsDir): string {
  const files = drillFiles(drillsDir);
  const file = files.find((f) => drillNameOf(f) === name);
  if (!file) throw new DrillFileError(`unknown drill "${name}": ${resolve(drillsDir)} has ${files.map(drillNameOf).join(', ') || 'no drill files'}`);
  return file;
}
