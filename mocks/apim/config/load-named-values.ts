/**
 * named values/<name>/namedValueInformation.json. Policies reference a named value by its
 * display name (`{{displayName}}`), so the result is keyed by display name; the folder name is
 * the resource name, which APIM may have made a generated id.
 *
 * Secret and Key Vault named values have no value in the artifacts (APIOps never extracts
 * one), so emulator.json `namedValues` supplies it, keyed by display name (or folder name). A
 * value there also replaces a plain named value's value, for pointing a policy at something
 * local. Values are never put in problem messages, secret or not.
 */
import { join } from 'node:path';
import { namedValueInformationSchema } from './arm-schemas.ts';
import type { Problems } from './config-error.ts';
import { isFile, listDirectories, locateLine, readJsonFile, validate } from './source-files.ts';
import type { ParsedSource } from './source-files.ts';

export interface LoadedNamedValues {
  values: Map<string, string>;
  secrets: Set<string>;
}

export function loadNamedValues(root: string, emulatorValues: Readonly<Record<string, string>>, emulatorSource: ParsedSource | undefined, problems: Problems): LoadedNamedValues {
  const dir = join(root, 'named values');
  const values = new Map<string, string>();
  const secrets = new Set<string>();
  const used = new Set<string>();
  const byLowerName = new Map<string, string>();
  for (const id of listDirectories(dir)) {
    const file = join(dir, id, 'namedValueInformation.json');
    if (!isFile(file)) {
      problems.add({ file, message: 'missing: each folder under "named values/" needs a namedValueInformation.json' });
      continue;
    }
    const source = readJsonFile(file, problems);
    const info = source && validate(namedValueInformationSchema, source, problems);
    if (!source || !info) continue;
    const p = info.properties;
    const name = p.displayName;
    const line = locateLine(source.text, ['properties', 'displayName']);
    const other = byLowerName.get(name.toLowerCase());
    if (other !== undefined) {
      problems.add({ file, ...(line !== undefined ? { line } : {}), field: 'properties.displayName', message: `"${name}" is also the display name of named value folder "${other}"` });
      continue;
    }
    byLowerName.set(name.toLowerCase(), id);

    const fromEmulator = emulatorValues[name] ?? emulatorValues[id];
    if (emulatorValues[name] !== undefined) used.add(name);
    if (emulatorValues[id] !== undefined) used.add(id);
    const secret = p.secret === true || p.keyVault !== undefined;
    if (secret) secrets.add(name);
    const value = fromEmulator ?? p.value;
    if (value === undefined) {
      const valueLine = locateLine(source.text, ['properties']);
      problems.add({
        file,
        ...(valueLine !== undefined ? { line: valueLine } : {}),
        field: 'properties.value',
        message: secret
          ? `the ${p.keyVault !== undefined ? 'Key Vault' : 'secret'} named value "${name}" has no value here; give it one in emulator.json namedValues["${name}"]`
          : `is required for the named value "${name}" (or give one in emulator.json namedValues["${name}"])`,
      });
      continue;
    }
    values.set(name, value);
  }
  for (const key of Object.keys(emulatorValues)) {
    if (used.has(key)) continue;
    const line = emulatorSource ? locateLine(emulatorSource.text, ['namedValues', key]) : undefined;
    problems.add({
      file: emulatorSource?.file ?? 'emulator.json',
      ...(line !== undefined ? { line } : {}),
      field: `namedValues.${key}`,
      message: `no named value in "named values/" has this display name or folder name`,
    });
  }
  return { values, secrets };
}

