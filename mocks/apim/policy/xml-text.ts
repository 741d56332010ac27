/**
 * Decoding of raw XML attribute values and character data with a per-character offset map.
 *
 * The XML parser gives decoded strings only. To put the caret of an expression error on the
 * right character of the file we need, for every decoded character, where it came from; for
 * that the few XML rules that change lengths (entities, character references, CDATA, comments,
 * attribute whitespace normalisation) are re-applied here on the raw text the parser already
 * validated.
 */

/** A decoded string and, for each of its characters, the source offset it came from. */
export interface DecodedText {
  readonly text: string;
  /** `offsets[i]` is the source offset of `text[i]`; `offsets[text.length]` is the end offset. */
  readonly offsets: readonly number[];
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Decodes `source[start, end)`. In 'attribute' mode literal tabs/newlines become spaces (XML
 * attribute-value normalisation, which APIM's .NET parser applies too); in 'text' mode CDATA
 * sections are copied raw and comments / processing instructions are dropped.
 */
export function decodeXml(source: string, start: number, end: number, mode: 'attribute' | 'text'): DecodedText {
  let text = '';
  const offsets: number[] = [];
  let i = start;
  while (i < end) {
    const ch = source[i] as string;
    if (ch === '&') {
      const semi = source.indexOf(';', i);
      const ref = semi > i && semi < end ? source.slice(i + 1, semi) : '';
      let decoded: string | undefined;
      if (ref.startsWith('#x')) decoded = String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      else if (ref.startsWith('#')) decoded = String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
      else decoded = NAMED_ENTITIES[ref];
      if (decoded !== undefined) {
        for (let k = 0; k < decoded.length; k++) offsets.push(i);
        text += decoded;
        i = semi + 1;
        continue;
      }
    }
    if (mode === 'text' && ch === '<') {
      if (source.startsWith('<![CDATA[', i)) {
        const close = source.indexOf(']]>', i + 9);
        const stop = close < 0 || close > end ? end : close;
        for (let k = i + 9; k < stop; k++) {
          text += source[k];
          offsets.push(k);
        }
        i = stop + 3;
        continue;
      }
      if (source.startsWith('<!--', i)) {
        const close = source.indexOf('-->', i + 4);
        i = close < 0 ? end : close + 3;
        continue;
      }
      if (source.startsWith('<?', i)) {
        const close = source.indexOf('?>', i + 2);
        i = close < 0 ? end : close + 2;
        continue;
      }
    }
    text += mode === 'attribute' && (ch === '\n' || ch === '\t' || ch === '\r') ? ' ' : ch;
    offsets.push(i);
    i++;
  }
  offsets.push(Math.min(i, end));
  return { text, offsets };
}

/** Where one attribute sits in a start tag. */
export interface RawAttribute {
  readonly name: string;
  /** Offset of the attribute name. */
  readonly nameStart: number;
  /** Offsets of the value between its quotes: `[valueStart, valueEnd)`. */
  readonly valueStart: number;
  readonly valueEnd: number;
}

/**
 * Finds the attributes of the start tag that begins at `lt` (the '<'). The tag has already
 * been accepted by the XML parser, so this only needs to walk names, '=' and quoted values.
 * Returns the attributes and the offset just past the tag's '>'.
 */
export function scanStartTag(source: string, lt: number): { attributes: RawAttribute[]; end: number } {
  let i = lt + 1;
  while (i < source.length && !isSpace(source[i]) && source[i] !== '>' && source[i] !== '/') i++;
  const attributes: RawAttribute[] = [];
  for (;;) {
    while (i < source.length && isSpace(source[i])) i++;
    const ch = source[i];
    if (ch === undefined) return { attributes, end: i };
    if (ch === '>') return { attributes, end: i + 1 };
    if (ch === '/') return { attributes, end: i + 2 };
    const nameStart = i;
    while (i < source.length && !isSpace(source[i]) && source[i] !== '=') i++;
    const name = source.slice(nameStart, i);
    while (i < source.length && source[i] !== '"' && source[i] !== "'") i++;
    const quote = source[i];
    const valueStart = i + 1;
    const valueEnd = quote === undefined ? source.length : source.indexOf(quote, valueStart);
    attributes.push({ name, nameStart, valueStart, valueEnd });
    i = valueEnd + 1;
  }
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r';
}
