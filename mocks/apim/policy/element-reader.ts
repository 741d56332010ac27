/**
 * Reads one XML element into typed values, reporting every problem instead of throwing, and
 * remembering which attributes were read so that `finish()` can report the rest as unknown.
 * That bookkeeping is what guarantees that nothing in a policy is silently ignored.
 */
import { compileExpression, ExpressionError, isExpression } from '../expressions/index.ts';
import { locate, report, touchesUnresolved } from './compile-context.ts';
import type { CompileContext } from './compile-context.ts';
import type { LiteralValue, PolicyValue, SourceLocation } from './policy-ast.ts';
import { didYouMean } from './suggest.ts';
import { anyString, boolean, incompatibleResultType, integer, oneOf } from './value-parsers.ts';
import type { LiteralParser, ValueKind } from './value-parsers.ts';
import type { DecodedText } from './xml-text.ts';
import type { XmlAttribute, XmlElement, XmlText } from './xml-tree.ts';

export interface ValueOptions<T> {
  /** Report a missing-attribute problem when absent. */
  readonly required?: boolean;
  /** Whether APIM allows a policy expression here (default true). */
  readonly expressions?: boolean;
  readonly parse: LiteralParser<T>;
  /** What an expression's static type must be convertible to. */
  readonly kind: ValueKind;
}

/** A decoded piece of text (attribute value or element text) and where it came from. */
export interface TextSlice {
  readonly text: string;
  readonly offsets: readonly number[];
  /** Source range, for named-value checks. */
  readonly start: number;
  readonly end: number;
}

export class ElementReader {
  readonly ctx: CompileContext;
  readonly element: XmlElement;
  readonly name: string;
  readonly at: SourceLocation;
  private readonly used = new Set<string>();
  /** Real APIM attributes of this element that the emulator cannot honour, with the reason. */
  private readonly unsupported = new Map<string, string>();

  constructor(ctx: CompileContext, element: XmlElement) {
    this.ctx = ctx;
    this.element = element;
    this.name = element.name;
    this.at = locate(ctx, element.start);
  }

  attribute(name: string): XmlAttribute | undefined {
    this.used.add(name);
    return this.element.attributes.find((a) => a.name === name);
  }

  has(name: string): boolean {
    return this.element.attributes.some((a) => a.name === name);
  }

  problem(code: Parameters<typeof report>[1], offset: number, message: string): void {
    report(this.ctx, code, offset, this.name, message);
  }

  /** A literal-or-expression attribute; null when absent. */
  value<T>(name: string, options: ValueOptions<T>): PolicyValue<T> | null {
    const attr = this.attribute(name);
    if (!attr) {
      if (options.required) this.problem('missing-attribute', this.element.start, `missing required attribute '${name}'`);
      return null;
    }
    return readValue(this.ctx, this.name, `attribute '${name}'`, attributeSlice(attr), options);
  }

  string(name: string, options: { required?: boolean; expressions?: boolean } = {}): PolicyValue | null {
    return this.value(name, { ...options, parse: anyString, kind: 'string' });
  }

  int(name: string, min: number, max: number, options: { required?: boolean; expressions?: boolean } = {}): PolicyValue<number> | null {
    return this.value(name, { ...options, parse: integer(min, max), kind: 'number' });
  }

  bool(name: string, options: { required?: boolean; expressions?: boolean } = {}): PolicyValue<boolean> | null {
    return this.value(name, { ...options, parse: boolean, kind: 'bool' });
  }

  choice<T extends string>(name: string, values: readonly T[], options: { required?: boolean; expressions?: boolean } = {}): PolicyValue<T> | null {
    return this.value(name, { ...options, parse: oneOf(values), kind: 'string' });
  }

  /** An attribute APIM only accepts as a literal; returns the parsed literal or null. */
  literal<T>(name: string, parse: LiteralParser<T>, options: { required?: boolean } = {}): T | null {
    const v = this.value(name, { ...options, expressions: false, parse, kind: 'string' });
    return v !== null && v.kind === 'literal' ? v.value : null;
  }

  literalString(name: string, options: { required?: boolean } = {}): string | null {
    return this.literal(name, anyString, options);
  }

  /** A default for an absent optional attribute, located at the element. */
  fallback<T>(text: string, value: T): LiteralValue<T> {
    return { kind: 'literal', text, value, at: this.at };
  }

  /** Marks an attribute as real-but-unsupported: reported by finish() if present. */
  unsupportedAttribute(name: string, why: string): void {
    this.unsupported.set(name, why);
  }

  /** Child elements; reports non-whitespace text, which no policy element with children accepts. */
  children(): XmlElement[] {
    const out: XmlElement[] = [];
    for (const c of this.element.content) {
      if (c.kind === 'element') out.push(c);
      else this.problem('invalid-structure', firstNonSpace(c), `unexpected text ${quoteText(c.value.text)} inside <${this.name}>`);
    }
    return out;
  }

  /** Reports any child content for elements that must be empty. */
  noContent(): void {
    for (const c of this.element.content) {
      if (c.kind === 'element') this.problem('invalid-structure', c.start, `<${this.name}> does not accept child elements, found <${c.name}>`);
      else this.problem('invalid-structure', firstNonSpace(c), `unexpected text ${quoteText(c.value.text)} inside <${this.name}>`);
    }
  }

  /**
   * The element's text content as a literal-or-expression value (e.g. `<value>`), trimmed of
   * surrounding whitespace when `trim`. Child elements are problems. Empty text → literal "".
   */
  text<T>(options: { trim: boolean; parse: LiteralParser<T>; kind: ValueKind; expressions?: boolean }): PolicyValue<T> | null {
    const texts: XmlText[] = [];
    for (const c of this.element.content) {
      if (c.kind === 'element') this.problem('invalid-structure', c.start, `<${this.name}> takes text only, found <${c.name}>`);
      else texts.push(c);
    }
    let slice: TextSlice;
    if (texts.length === 0) {
      slice = { text: '', offsets: [this.element.innerStart], start: this.element.innerStart, end: this.element.innerEnd };
    } else {
      const text = texts.map((t) => t.value.text).join('');
      const offsets = texts.flatMap((t, i) => (i === texts.length - 1 ? t.value.offsets : t.value.offsets.slice(0, -1)));
      slice = { text, offsets, start: this.element.innerStart, end: this.element.innerEnd };
    }
    if (options.trim) slice = trimSlice(slice);
    return readValue(this.ctx, this.name, `<${this.name}> text`, slice, options);
  }

  /** The optional `id` attribute every policy element accepts (context.LastError.PolicyId). */
  policyId(): string | undefined {
    return this.literalString('id') ?? undefined;
  }

  /** Reports attributes that were never read: real-but-unsupported ones, then unknown ones. */
  finish(known: readonly string[] = []): void {
    for (const attr of this.element.attributes) {
      if (this.used.has(attr.name) || attr.name.startsWith('xmlns')) continue;
      const why = this.unsupported.get(attr.name);
      if (why !== undefined) this.problem('unsupported-attribute', attr.nameStart, `attribute '${attr.name}' is not supported by the emulator: ${why}`);
      else this.problem('unknown-attribute', attr.nameStart, `unknown attribute '${attr.name}'${didYouMean(attr.name, [...this.used, ...this.unsupported.keys(), ...known])}`);
    }
  }
}

export function attributeSlice(attr: XmlAttribute): TextSlice {
  return { text: attr.value.text, offsets: attr.value.offsets, start: attr.valueStart, end: attr.valueEnd };
}

export function decodedSlice(value: DecodedText, start: number, end: number): TextSlice {
  return { text: value.text, offsets: value.offsets, start, end };
}

export function trimSlice(slice: TextSlice): TextSlice {
  const lead = slice.text.length - slice.text.trimStart().length;
  const trimmed = slice.text.trim();
  return { ...slice, text: trimmed, offsets: slice.offsets.slice(lead, lead + trimmed.length + 1) };
}

/**
 * Turns a piece of text into a PolicyValue: an expression is compiled (errors are reported at
 * their exact character) and its static type checked; a literal is parsed. Returns null when
 * the text is invalid (after reporting), or a placeholder when it contains an unknown named
 * value, whose problem was already reported and would only cascade here.
 */
export function readValue<T>(ctx: CompileContext, element: string, what: string, slice: TextSlice, options: ValueOptions<T> & { expressions?: boolean }): PolicyValue<T> | null {
  const at = locate(ctx, slice.offsets[0] ?? slice.start);
  if (touchesUnresolved(ctx, slice.start, slice.end)) return null;
  const offsetOf = (i: number) => slice.offsets[Math.min(i, slice.offsets.length - 1)] ?? slice.start;
  if (isExpression(slice.text)) {
    if (options.expressions === false) {
      report(ctx, 'invalid-value', offsetOf(0), element, `policy expressions are not allowed in ${what}`);
      return null;
    }
    try {
      const expression = compileExpression(slice.text);
      if (incompatibleResultType(options.kind, expression.resultType)) {
        report(ctx, 'invalid-expression', offsetOf(0), element, `${what} must be ${kindText(options.kind)}, but the expression is of type ${expression.resultType}`);
        return null;
      }
      return { kind: 'expression', text: slice.text, expression, at };
    } catch (err) {
      if (err instanceof ExpressionError) {
        const reason = err.message.replace(/ at \d+:\d+/, '');
        report(ctx, 'invalid-expression', offsetOf(err.offset), element, `invalid policy expression in ${what}: ${reason}`);
      } else {
        report(ctx, 'invalid-expression', offsetOf(0), element, `invalid policy expression in ${what}: ${(err as Error).message}`);
      }
      return null;
    }
  }
  const parsed = options.parse(slice.text);
  if (!parsed.ok) {
    report(ctx, 'invalid-value', offsetOf(0), element, `invalid value for ${what}: ${parsed.message}`);
    return null;
  }
  return { kind: 'literal', text: slice.text, value: parsed.value, at };
}

function kindText(kind: ValueKind): string {
  return kind === 'bool' ? 'a bool' : kind === 'number' ? 'a number' : 'a string';
}

function firstNonSpace(t: XmlText): number {
  const i = t.value.text.length - t.value.text.trimStart().length;
  return t.value.offsets[i] ?? t.start;
}

function quoteText(text: string): string {
  const t = text.trim();
  return JSON.stringify(t.length > 40 ? `${t.slice(0, 37)}...` : t);
}
