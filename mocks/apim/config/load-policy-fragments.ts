/**
 * policy fragments/<fragment>/: policy.xml (a `<fragment>` document) and an optional
 * policyFragmentInformation.json (description only), as APIOps lays them out. The folder name
 * is the fragment id that `<include-fragment fragment-id="…"/>` uses.
 */
import { join } from 'node:path';
import { policyFragmentInformationSchema } from './arm-schemas.ts';
import type { Problems } from './config-error.ts';
import { isFile, listDirectories, readJsonFile, readText, validate } from './source-files.ts';
import type { PolicyFragmentSource } from './types.ts';

export function loadPolicyFragments(root: string, problems: Problems): Map<string, PolicyFragmentSource> {
  const dir = join(root, 'policy fragments');
  const fragments = new Map<string, PolicyFragmentSource>();
  for (const id of listDirectories(dir)) {
    const infoFile = join(dir, id, 'policyFragmentInformation.json');
    if (isFile(infoFile)) {
      const source = readJsonFile(infoFile, problems);
      if (source) validate(policyFragmentInformationSchema, source, problems);
    }
    const file = join(dir, id, 'policy.xml');
    if (!isFile(file)) {
      problems.add({ file, message: 'missing: each folder under "policy fragments/" needs a policy.xml' });
      continue;
    }
    const xml = readText(file, problems);
    if (xml === undefined) continue;
    if (xml.trim() === '') {
      problems.add({ file, message: 'the fragment is empty; it needs a <fragment> document' });
      continue;
    }
    fragments.set(id, { id, file, xml });
  }
  return fragments;
}
