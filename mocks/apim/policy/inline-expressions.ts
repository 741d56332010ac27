/**
 * APIM accepts policy expressions written with raw `"`, `<` and `&&` inside attribute values
 * and element text, e.g. `condition="@(x.Equals("a") && y < 2)"`. That is not well-formed XML,
 * yet it is how Microsoft's own docs and most real policies are written, so APIM must escape
 * such expressions before its XML parser sees them. This does the same: for each attribute
 * value or element text that starts with `@(` / `@{`, it finds the end of the expression with a
 * small C# scanner (strings, chars, verbatim and interpolated strings, comments) and escapes
 * the characters XML would reject there. Already-escaped text (`&quot;`, `&amp;&amp;`) is left
 * alone, so both spellings work. Returned replacements keep error positions exact.
 */
import type { Replacement } from './source-map.ts';

export interface EscapedText {
  readonly text: string;
  readonly replacements: readonly Replacement[];
}

export function escapeInlineExpressions(source: string): EscapedText {
  let out = '';
  let last = 0;
  const replacements: Replacement[] = [];
  /** Escapes `[start, end)` of the source, where `quote` is the attribute delimiter (or null in text). */
  const escapeRegion = (start: number, end: number, quote: string | null) => {
    for (let i = start; i < end; i++) {
      const ch = source[i] as string;
      let rep: string | undefined;
      if (ch === '<') rep = '&lt;';
      else if (ch === '&' && !/^&(?:#\d+|#x[0-9A-Fa-f]+|lt|gt|amp|quot|apos);/.test(source.slice(i, i + 12))) rep = '&amp;';
      else if (quote !== null && ch === quote) rep = quote === '"' ? '&quot;' : '&apos;';
      if (rep === undefined) continue;
      out += source.slice(last, i);
      replacements.push({ start: out.length, end: out.length + rep.length, origStart: i, origEnd: i + 1 });
      out += rep;
      last = i + 1;
    }
  };

  let i = 0;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    if (lt < 0) break;
    if (source.startsWith('<!--', lt)) {
      i = skipPast(source, lt, '-->');
      continue;
    }
    if (source.startsWith('<![CDATA[', lt)) {
      i = skipPast(source, lt, ']]>');
      continue;
    }
    if (source.startsWith('<?', lt) || source.startsWith('<!', lt) || source.startsWith('</', lt)) {
      i = skipPast(source, lt, '>');
      continue;
    }
    // A start tag: walk its attributes.
    let j = lt + 1;
    while (j < source.length && !/[\s/>]/.test(source[j] as string)) j++;
    let selfClosing = false;
    for (;;) {
      while (j < source.length && /\s/.test(source[j] as string)) j++;
      const ch = source[j];
      if (ch === undefined) break;
      if (ch === '>') {
        j++;
        break;
      }
      if (ch === '/') {
        selfClosing = true;
        j = skipPast(source, j, '>');
        break;
      }
      const eq = source.indexOf('=', j);
      if (eq < 0) {
        j = source.length;
        break;
      }
      let q = eq + 1;
      while (q < source.length && /\s/.test(source[q] as string)) q++;
      const quote = source[q];
      if (quote !== '"' && quote !== "'") {
        j = q; // malformed: let the XML parser report it
        break;
      }
      const valueStart = q + 1;
      const exprEnd = expressionEnd(source, valueStart);
      if (exprEnd !== undefined) {
        let k = exprEnd;
        while (k < source.length && /\s/.test(source[k] as string)) k++;
        if (source[k] === quote) {
          escapeRegion(valueStart, exprEnd, quote);
          j = k + 1;
          continue;
        }
      }
      const close = source.indexOf(quote, valueStart);
      j = close < 0 ? source.length : close + 1;
    }
    i = j;
    if (!selfClosing) {
      // Element text that is an expression: escape '<' and bare '&' up to the expression's end.
      const exprEnd = expressionEnd(source, i);
      if (exprEnd !== undefined) {
        escapeRegion(i, exprEnd, null);
        i = exprEnd;
      }
    }
  }
  out += source.slice(last);
  return { text: out, replacements };
}

function skipPast(source: string, from: number, marker: string): number {
  const k = source.indexOf(marker, from);
  return k < 0 ? source.length : k + marker.length;
}

/**
 * If `source` at `from` (after optional whitespace) starts a policy expression, the offset
 * just past its closing `)` or `}`; undefined when it is not an expression or never closes.
 */
export function expressionEnd(source: string, from: number): number | undefined {
  let i = from;
  while (i < source.length && /\s/.test(source[i] as string)) i++;
  if (source[i] !== '@' || (source[i + 1] !== '(' && source[i + 1] !== '{')) return undefined;
  return scanBalanced(source, i + 1);
}

/** From an opening bracket, the offset past its matching close, skipping C# strings/comments. */
function scanBalanced(s: string, open: number): number | undefined {
  const stack: string[] = [];
  let i = open;
  while (i < s.length) {
    const ch = s[i] as string;
    if (ch === '(' || ch === '{' || ch === '[') {
      stack.push(ch === '(' ? ')' : ch === '{' ? '}' : ']');
      i++;
    } else if (ch === ')' || ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return undefined;
      i++;
      if (stack.length === 0) return i;
    } else if (ch === '/' && s[i + 1] === '/') {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl;
    } else if (ch === '/' && s[i + 1] === '*') {
      i = skipPast(s, i + 2, '*/');
    } else if (ch === '"' || ch === "'" || ch === '@' || ch === '$') {
      const end = skipLiteral(s, i);
      if (end === undefined) return undefined;
      i = end;
    } else {
      i++;
    }
  }
  return undefined;
}

/** Skips a C# string/char literal starting at `i` (any of " ' @" $" $@" @$"); returns i+1 for other '@'/'$'. */
function skipLiteral(s: string, i: number): number | undefined {
  let k = i;
  let verbatim = false;
  let interpolated = false;
  while (s[k] === '@' || s[k] === '$') {
    if (s[k] === '@') verbatim = true;
    else interpolated = true;
    k++;
  }
  const quote = s[k];
  if (quote !== '"' && quote !== "'") return i + 1;
  if (quote === "'" && (verbatim || interpolated)) return i + 1;
  k++;
  while (k < s.length) {
    const ch = s[k] as string;
    if (!verbatim && ch === '\\') {
      k += 2;
    } else if (ch === quote) {
      if (verbatim && s[k + 1] === quote) k += 2;
      else return k + 1;
    } else if (interpolated && ch === '{') {
      if (s[k + 1] === '{') k += 2;
      else {
        const end = scanBalanced(s, k);
        if (end === undefined) return undefined;
        k = end;
      }
    } else if (!verbatim && ch === '\n') {
      return undefined;
    } else {
      k++;
    }
  }
  return undefined;
}
