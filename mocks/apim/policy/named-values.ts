/**
 * Named-value substitution. APIM replaces every `{{name}}` in the policy text before it parses
 * the XML, so a named value can hold an attribute value, element text, a piece of an
 * expression or even markup. Doing the same here (instead of resolving values per attribute)
 * keeps those semantics, and the returned Replacement list lets SourceMap report original
 * positions afterwards.
 */
import type { Replacement } from './source-map.ts';

/** APIM named-value names: letters, digits, '.', '-', '_' (at most 256 characters). */
const REFERENCE = /\{\{([A-Za-z0-9._-]{1,256})\}\}/g;

export interface Substitution {
  /** The text with every known `{{name}}` replaced. Unknown references are left as written. */
  readonly text: string;
  /** Known references, in order, in substituted-text coordinates. */
  readonly replacements: readonly Replacement[];
  /** Unknown references (left in place), in substituted-text coordinates. */
  readonly unresolved: readonly (Replacement & { readonly name: string })[];
}

/**
 * Replaces `{{name}}` references. Lookup is exact first, then case-insensitive, because APIM
 * treats named-value names case-insensitively. Values are inserted verbatim (not XML-escaped),
 * as APIM does; substituted values are not scanned again for references.
 */
export function substituteNamedValues(text: string, namedValues: ReadonlyMap<string, string>): Substitution {
  let lowerCased: Map<string, string> | undefined;
  const lookup = (name: string): string | undefined => {
    const exact = namedValues.get(name);
    if (exact !== undefined) return exact;
    lowerCased ??= new Map([...namedValues].map(([k, v]) => [k.toLowerCase(), v]));
    return lowerCased.get(name.toLowerCase());
  };

  const replacements: Replacement[] = [];
  const unresolved: (Replacement & { name: string })[] = [];
  let out = '';
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    const origStart = match.index;
    const origEnd = origStart + match[0].length;
    const name = match[1] as string;
    out += text.slice(last, origStart);
    const value = lookup(name);
    const start = out.length;
    if (value === undefined) {
      out += match[0];
      unresolved.push({ start, end: out.length, origStart, origEnd, name });
    } else {
      out += value;
      replacements.push({ start, end: out.length, origStart, origEnd });
    }
    last = origEnd;
  }
  out += text.slice(last);
  return { text: out, replacements, unresolved };
}
