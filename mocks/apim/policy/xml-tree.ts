/**
 * Parses policy XML into a small element tree that remembers source offsets.
 *
 * saxes is used because it is a strict, well-tested XML 1.0 parser that tracks line/column,
 * and we need exact line numbers for load-time errors (malformed XML included). It only
 * reports positions at tag boundaries, so attribute and text positions are recovered from the
 * raw text (xml-text.ts) between the boundaries saxes reports.
 */
import { SaxesParser } from 'saxes';
import { decodeXml, scanStartTag } from './xml-text.ts';
import type { DecodedText } from './xml-text.ts';

export interface XmlAttribute {
  readonly name: string;
  /** Decoded, normalised value (what APIM sees) with its source offsets. */
  readonly value: DecodedText;
  /** Offset of the attribute name (for "unknown attribute" messages). */
  readonly nameStart: number;
  /** Offsets of the raw value between the quotes. */
  readonly valueStart: number;
  readonly valueEnd: number;
}

export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  /** Offset of '<'. */
  readonly start: number;
  /** Offset just past the end tag (or past '/>'). */
  end: number;
  /** Content region between the start and end tags. */
  readonly innerStart: number;
  innerEnd: number;
  readonly attributes: readonly XmlAttribute[];
  /** Element and non-empty text children, in document order. */
  readonly content: XmlContent[];
}

export interface XmlText {
  readonly kind: 'text';
  readonly start: number;
  readonly end: number;
  /** Decoded character data (entities, CDATA) without comments. */
  readonly value: DecodedText;
}

export type XmlContent = XmlElement | XmlText;

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  /** Offset where the parser noticed the problem. */
  readonly offset: number;
  /** The element concerned, when the parser's state says so. */
  readonly element: string | undefined;

  constructor(message: string, offset: number, element?: string) {
    super(message);
    this.offset = offset;
    this.element = element;
  }
}

/** Parses a whole document and returns its root element; throws XmlSyntaxError. */
export function parseXml(source: string): XmlElement {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  parser.on('error', (err) => {
    // saxes prefixes "line:column: "; we report our own (original-file) position instead.
    const message = err.message.replace(/^\d+:\d+: /, '');
    let offset = Math.max(0, parser.position - 1);
    // saxes notices a duplicate attribute at the end of the tag; point at the duplicate itself.
    const duplicate = /^duplicate attribute: (.+)\.$/.exec(message);
    if (duplicate) {
      const tagStart = source.lastIndexOf('<', parser.position - 1);
      const matches = [...source.slice(tagStart, parser.position).matchAll(new RegExp(`\\s${escapeRegExp(duplicate[1] as string)}\\s*=`, 'g'))];
      const last = matches[matches.length - 1];
      if (tagStart >= 0 && last) offset = tagStart + last.index + 1;
    }
    // At end of input saxes reports the innermost open element: point at its start tag.
    const unclosed = stack[stack.length - 1];
    if (message.startsWith('unclosed tag: ') && unclosed) {
      throw new XmlSyntaxError(message, unclosed.start, unclosed.name);
    }
    throw new XmlSyntaxError(message, offset);
  });
  parser.on('opentag', (tag) => {
    const lt = source.lastIndexOf(`<${tag.name}`, parser.position - 1);
    const scanned = scanStartTag(source, lt);
    const element: XmlElement = {
      kind: 'element',
      name: tag.name,
      start: lt,
      end: parser.position,
      innerStart: parser.position,
      innerEnd: parser.position,
      attributes: scanned.attributes.map((a) => ({
        name: a.name,
        value: decodeXml(source, a.valueStart, a.valueEnd, 'attribute'),
        nameStart: a.nameStart,
        valueStart: a.valueStart,
        valueEnd: a.valueEnd,
      })),
      content: [],
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.content.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', (tag) => {
    const element = stack.pop();
    if (!element) return;
    if (!tag.isSelfClosing) {
      element.innerEnd = source.lastIndexOf('</', parser.position - 1);
      element.end = parser.position;
    }
    addTextNodes(source, element);
  });
  parser.write(source).close();
  if (!root) throw new XmlSyntaxError('document has no root element', source.length);
  return root;
}

/** Fills the gaps between child elements with decoded text nodes (whitespace-only kept out). */
function addTextNodes(source: string, element: XmlElement): void {
  const children = element.content.slice();
  const content: XmlContent[] = [];
  let cursor = element.innerStart;
  const pushText = (start: number, end: number) => {
    if (end <= start) return;
    const value = decodeXml(source, start, end, 'text');
    if (value.text.trim() !== '' || source.slice(start, end).includes('<![CDATA[')) content.push({ kind: 'text', start, end, value });
  };
  for (const child of children) {
    if (child.kind !== 'element') continue;
    pushText(cursor, child.start);
    content.push(child);
    cursor = child.end;
  }
  pushText(cursor, element.innerEnd);
  element.content.splice(0, element.content.length, ...content);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
