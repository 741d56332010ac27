/**
 * Policy documents are read as raw XML: the policy compiler parses and checks them. Here we
 * only make sure the file is there and not empty, and record its scope and owner.
 */
import type { Problems } from './config-error.ts';
import { isFile, readText } from './source-files.ts';
import type { PolicyScope, PolicySource } from './types.ts';

/** Reads `file` when it exists; undefined (and no problem) when it does not. */
export function readOptionalPolicy(file: string, scope: PolicyScope, owner: string, problems: Problems): PolicySource | undefined {
  if (!isFile(file)) return undefined;
  const xml = readText(file, problems);
  if (xml === undefined) return undefined;
  if (xml.trim() === '') {
    problems.add({ file, message: 'the policy file is empty; delete it or give it a <policies> document' });
    return undefined;
  }
  return { file, scope, xml, owner };
}
