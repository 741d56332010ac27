/**
 * Cross-checks what policies name by literal value: `backend-id="…"` (set-backend-service),
 * `fragment-id="…"` (include-fragment) and `{{named value}}` references. APIM refuses to save a
 * policy that names a missing backend, fragment or named value, so a typo here should stop the
 * load too, with its line. Expression values (`backend-id="@(…)"`) can only be checked at run
 * time and are skipped. This is a text scan, not a parse: the policy compiler owns parsing.
 */
import type { Problems } from './config-error.ts';
import { lineAndColumn } from './source-files.ts';

export interface KnownNames {
  backends: ReadonlySet<string>;
  fragments: ReadonlySet<string>;
  namedValues: ReadonlySet<string>;
}

export interface PolicyText {
  file: string;
  xml: string;
}

/** Blanks out XML comments, keeping newlines so offsets still give the right line. */
function withoutComments(xml: string): string {
  return xml.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '));
}

function sorted(names: ReadonlySet<string>): string {
  return names.size === 0 ? 'none are defined' : `defined: ${[...names].sort().join(', ')}`;
}

export function checkPolicyReferences(policy: PolicyText, known: KnownNames, problems: Problems): void {
  const xml = withoutComments(policy.xml);
  const report = (offset: number, message: string): void => {
    problems.add({ file: policy.file, line: lineAndColumn(xml, offset).line, message });
  };
  for (const match of xml.matchAll(/\bbackend-id\s*=\s*(["'])([^"']*)\1/g)) {
    const id = match[2] as string;
    if (id.startsWith('@') || id.includes('{{')) continue;
    if (!known.backends.has(id)) report(match.index ?? 0, `backend-id "${id}" names no backend in backends/ (${sorted(known.backends)})`);
  }
  for (const match of xml.matchAll(/\bfragment-id\s*=\s*(["'])([^"']*)\1/g)) {
    const id = match[2] as string;
    if (id.startsWith('@')) continue;
    if (!known.fragments.has(id)) report(match.index ?? 0, `fragment-id "${id}" names no fragment in "policy fragments/" (${sorted(known.fragments)})`);
  }
  // Named value names are matched without regard to case, as APIM's names are.
  const namedValues = new Set([...known.namedValues].map((n) => n.toLowerCase()));
  for (const match of xml.matchAll(/\{\{([^{}]+)\}\}/g)) {
    const name = (match[1] as string).trim();
    if (!namedValues.has(name.toLowerCase())) report(match.index ?? 0, `{{${name}}} names no named value in "named values/" (${sorted(known.namedValues)})`);
  }
}
