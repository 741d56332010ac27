/**
 * Tokenizer for the C# subset used in APIM policy expressions.
 *
 * Hand-written rather than generated: the grammar is a tiny, fixed subset of C#, and every
 * token must carry its exact offset so errors can name the line and column. Offsets are
 * always absolute positions in the whole attribute text, including inside the holes of
 * interpolated strings (which the parser lexes again over their own ranges).
 */
import { ExpressionError } from './errors.ts';

export type TokenKind = 'identifier' | 'keyword' | 'int' | 'real' | 'string' | 'char' | 'interpolated' | 'punct' | 'eof';

/** One piece of an interpolated string: literal text, or a hole holding an expression. */
export type InterpolationPart =
  | { kind: 'text'; value: string }
  | {
      kind: 'hole';
      /** Absolute range of the expression inside the braces. */
      start: number;
      end: number;
      /** Absolute range of the alignment expression after ',', if any. */
      alignment: { start: number; end: number } | undefined;
      /** The format string after ':', if any (e.g. "yyyy-MM-dd"). */
      format: string | undefined;
    };

export interface Token {
  kind: TokenKind;
  /** Source text of the token (for punctuators and keywords: the symbol itself). */
  text: string;
  start: number;
  end: number;
  /** Decoded value of string, char and numeric literals. */
  value?: string | number;
  /** For integer literals: true when the literal's C# type is long (suffix L or too big for int). */
  isLong?: boolean;
  /** For interpolated strings. */
  parts?: InterpolationPart[];
}

// C# reserved keywords. Only some have meaning here; the rest are recognised so the parser
// can report "not supported" instead of treating them as unknown names.
const KEYWORDS = new Set([
  'abstract', 'as', 'base', 'bool', 'break', 'byte', 'case', 'catch', 'char', 'checked', 'class', 'const',
  'continue', 'decimal', 'default', 'delegate', 'do', 'double', 'else', 'enum', 'event', 'explicit', 'extern',
  'false', 'finally', 'fixed', 'float', 'for', 'foreach', 'goto', 'if', 'implicit', 'in', 'int', 'interface',
  'internal', 'is', 'lock', 'long', 'namespace', 'new', 'null', 'object', 'operator', 'out', 'override',
  'params', 'private', 'protected', 'public', 'readonly', 'ref', 'return', 'sbyte', 'sealed', 'short',
  'sizeof', 'stackalloc', 'static', 'string', 'struct', 'switch', 'this', 'throw', 'true', 'try', 'typeof',
  'uint', 'ulong', 'unchecked', 'unsafe', 'ushort', 'using', 'virtual', 'void', 'volatile', 'while',
]);

// Longest first, so "??=" wins over "??" and "?". ">>" is deliberately absent: lexing '>'
// alone keeps nested generic arguments (List<List<int>>) simple, and shifts are unsupported.
const PUNCTUATORS = [
  '??=', '<<=',
  '?.', '??', '==', '!=', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '=>', '::', '<<',
  '(', ')', '{', '}', '[', ']', '.', ',', ';', ':', '?', '=', '<', '>', '!', '~', '+', '-', '*', '/', '%', '&', '|', '^',
];

function isIdentStart(c: string): boolean {
  return /[A-Za-z_\p{L}]/u.test(c);
}

function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_\p{L}\p{Nd}]/u.test(c);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Tokenizes text[start, end) and appends an 'eof' token at `end`. */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const tokens: Token[] = [];
  let pos = start;

  const fail = (message: string, at: number): never => {
    throw new ExpressionError(message, text, at);
  };

  while (pos < end) {
    const c = text[pos] as string;

    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v') {
      pos++;
      continue;
    }
    if (c === '/' && text[pos + 1] === '/') {
      while (pos < end && text[pos] !== '\n') pos++;
      continue;
    }
    if (c === '/' && text[pos + 1] === '*') {
      const close = text.indexOf('*/', pos + 2);
      if (close < 0 || close + 2 > end) fail("unterminated comment: expected '*/'", pos);
      pos = close + 2;
      continue;
    }

    // Interpolated strings: $"..", $@"..", @$"..".
    if ((c === '$' && text[pos + 1] === '"') || (c === '$' && text[pos + 1] === '@' && text[pos + 2] === '"') || (c === '@' && text[pos + 1] === '$' && text[pos + 2] === '"')) {
      const verbatim = text[pos + 1] === '@' || c === '@';
      const bodyStart = pos + (verbatim ? 3 : 2);
      const { parts, end: tokenEnd } = scanInterpolated(text, bodyStart, end, verbatim, pos);
      tokens.push({ kind: 'interpolated', text: text.slice(pos, tokenEnd), start: pos, end: tokenEnd, parts });
      pos = tokenEnd;
      continue;
    }

    if (c === '@' && text[pos + 1] === '"') {
      const { value, end: tokenEnd } = scanVerbatimString(text, pos + 2, end, pos);
      tokens.push({ kind: 'string', text: text.slice(pos, tokenEnd), start: pos, end: tokenEnd, value });
      pos = tokenEnd;
      continue;
    }

    if (c === '"') {
      const { value, end: tokenEnd } = scanRegularString(text, pos + 1, end, pos);
      tokens.push({ kind: 'string', text: text.slice(pos, tokenEnd), start: pos, end: tokenEnd, value });
      pos = tokenEnd;
      continue;
    }

    if (c === "'") {
      const { value, end: tokenEnd } = scanChar(text, pos + 1, end, pos);
      tokens.push({ kind: 'char', text: text.slice(pos, tokenEnd), start: pos, end: tokenEnd, value });
      pos = tokenEnd;
      continue;
    }

    if (isDigit(c) || (c === '.' && isDigit(text[pos + 1]))) {
      const token = scanNumber(text, pos, end);
      tokens.push(token);
      pos = token.end;
      continue;
    }

    // '@' before an identifier makes a verbatim identifier (@class); rare, but legal C#.
    if (isIdentStart(c) || (c === '@' && pos + 1 < end && isIdentStart(text[pos + 1] as string))) {
      const verbatim = c === '@';
      let p = pos + (verbatim ? 1 : 0);
      while (p < end && isIdentPart(text[p] as string)) p++;
      const word = text.slice(verbatim ? pos + 1 : pos, p);
      const kind: TokenKind = !verbatim && KEYWORDS.has(word) ? 'keyword' : 'identifier';
      tokens.push({ kind, text: word, start: pos, end: p });
      pos = p;
      continue;
    }

    // "?." followed by a digit is '?' then a real literal (a ? .5 : 1), as in C#.
    let matched: string | undefined;
    for (const p of PUNCTUATORS) {
      if (text.startsWith(p, pos) && pos + p.length <= end) {
        if (p === '?.' && isDigit(text[pos + 2])) continue;
        matched = p;
        break;
      }
    }
    if (matched === undefined) fail(`unexpected character '${c}'`, pos);
    tokens.push({ kind: 'punct', text: matched as string, start: pos, end: pos + (matched as string).length });
    pos += (matched as string).length;
  }

  tokens.push({ kind: 'eof', text: '', start: end, end });
  return tokens;
}

function scanNumber(text: string, start: number, end: number): Token {
  const fail = (message: string, at: number): never => {
    throw new ExpressionError(message, text, at);
  };
  let pos = start;
  if (text[pos] === '0' && (text[pos + 1] === 'x' || text[pos + 1] === 'X')) {
    pos += 2;
    const digitsStart = pos;
    while (pos < end && /[0-9A-Fa-f_]/.test(text[pos] as string)) pos++;
    const digits = text.slice(digitsStart, pos).replaceAll('_', '');
    if (digits === '') fail('invalid hexadecimal literal', start);
    const value = Number.parseInt(digits, 16);
    return finishInteger(text, start, pos, end, value);
  }

  while (pos < end && (isDigit(text[pos]) || text[pos] === '_')) pos++;
  let isReal = false;
  if (text[pos] === '.' && isDigit(text[pos + 1])) {
    isReal = true;
    pos++;
    while (pos < end && (isDigit(text[pos]) || text[pos] === '_')) pos++;
  }
  if (text[pos] === 'e' || text[pos] === 'E') {
    let p = pos + 1;
    if (text[p] === '+' || text[p] === '-') p++;
    if (isDigit(text[p])) {
      isReal = true;
      pos = p;
      while (pos < end && isDigit(text[pos])) pos++;
    }
  }
  const literal = text.slice(start, pos).replaceAll('_', '');
  const suffix = text[pos];
  if (suffix === 'd' || suffix === 'D') {
    return { kind: 'real', text: text.slice(start, pos + 1), start, end: pos + 1, value: Number(literal) };
  }
  if (suffix === 'f' || suffix === 'F' || suffix === 'm' || suffix === 'M') {
    // float and decimal have their own precision and formatting rules; modelling them as
    // double would silently give wrong answers, so refuse them.
    const typeName = suffix === 'f' || suffix === 'F' ? 'float' : 'decimal';
    return fail(`${typeName} literals are not supported by this emulator; use a double literal`, start);
  }
  if (isReal) {
    return { kind: 'real', text: literal, start, end: pos, value: Number(literal) };
  }
  return finishInteger(text, start, pos, end, Number(literal));
}

function finishInteger(text: string, start: number, pos: number, end: number, value: number): Token {
  let isLong = value > 2147483647;
  let p = pos;
  const s1 = text[p];
  if (p < end && (s1 === 'l' || s1 === 'L')) {
    isLong = true;
    p++;
  } else if (p < end && (s1 === 'u' || s1 === 'U')) {
    throw new ExpressionError('unsigned integer literals are not supported by this emulator', text, start);
  }
  if (p < end && isIdentPart(text[p] as string)) {
    throw new ExpressionError(`invalid numeric literal '${text.slice(start, p + 1)}'`, text, start);
  }
  if (value > 9223372036854775807) {
    throw new ExpressionError('integral constant is too large', text, start);
  }
  return { kind: 'int', text: text.slice(start, p), start, end: p, value, isLong };
}

/** Decodes one escape sequence starting at the backslash; shared by strings and chars. */
function scanEscape(text: string, pos: number, end: number): { value: string; next: number } {
  const e = text[pos + 1];
  const simple: Record<string, string> = {
    "'": "'", '"': '"', '\\': '\\', '0': '\0', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  };
  if (e !== undefined && e in simple) return { value: simple[e] as string, next: pos + 2 };
  if (e === 'u' || e === 'U') {
    const len = e === 'u' ? 4 : 8;
    const hex = text.slice(pos + 2, pos + 2 + len);
    if (hex.length !== len || !/^[0-9A-Fa-f]+$/.test(hex) || pos + 2 + len > end) {
      throw new ExpressionError('unrecognized escape sequence', text, pos);
    }
    return { value: String.fromCodePoint(Number.parseInt(hex, 16)), next: pos + 2 + len };
  }
  if (e === 'x') {
    let p = pos + 2;
    while (p < end && p < pos + 6 && /[0-9A-Fa-f]/.test(text[p] as string)) p++;
    if (p === pos + 2) throw new ExpressionError('unrecognized escape sequence', text, pos);
    return { value: String.fromCharCode(Number.parseInt(text.slice(pos + 2, p), 16)), next: p };
  }
  throw new ExpressionError('unrecognized escape sequence', text, pos);
}

function scanRegularString(text: string, pos: number, end: number, tokenStart: number): { value: string; end: number } {
  let value = '';
  while (pos < end) {
    const c = text[pos] as string;
    if (c === '"') return { value, end: pos + 1 };
    if (c === '\n' || c === '\r') break;
    if (c === '\\') {
      const { value: v, next } = scanEscape(text, pos, end);
      value += v;
      pos = next;
      continue;
    }
    value += c;
    pos++;
  }
  throw new ExpressionError('unterminated string literal: expected \'"\'', text, tokenStart);
}

function scanVerbatimString(text: string, pos: number, end: number, tokenStart: number): { value: string; end: number } {
  let value = '';
  while (pos < end) {
    const c = text[pos] as string;
    if (c === '"') {
      if (text[pos + 1] === '"' && pos + 1 < end) {
        value += '"';
        pos += 2;
        continue;
      }
      return { value, end: pos + 1 };
    }
    value += c;
    pos++;
  }
  throw new ExpressionError('unterminated verbatim string literal: expected \'"\'', text, tokenStart);
}

function scanChar(text: string, pos: number, end: number, tokenStart: number): { value: string; end: number } {
  let value: string;
  let next: number;
  if (text[pos] === '\\') {
    ({ value, next } = scanEscape(text, pos, end));
  } else if (pos < end && text[pos] !== "'" && text[pos] !== '\n') {
    value = text[pos] as string;
    next = pos + 1;
  } else {
    throw new ExpressionError('empty character literal', text, tokenStart);
  }
  if (text[next] !== "'" || next >= end) throw new ExpressionError("unterminated character literal: expected \"'\"", text, tokenStart);
  return { value, end: next + 1 };
}

/**
 * Scans the body of an interpolated string. Holes are only located here (their ranges are
 * recorded); the parser parses them. Inside a hole, nested brackets and string literals are
 * skipped so a '}' or ':' inside them does not end the hole early. As in C#, the first ':'
 * at bracket depth 0 starts the format, so a conditional inside a hole needs parentheses.
 */
function scanInterpolated(
  text: string,
  pos: number,
  end: number,
  verbatim: boolean,
  tokenStart: number,
): { parts: InterpolationPart[]; end: number } {
  const parts: InterpolationPart[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push({ kind: 'text', value: literal });
    literal = '';
  };
  while (pos < end) {
    const c = text[pos] as string;
    if (c === '"') {
      if (verbatim && text[pos + 1] === '"') {
        literal += '"';
        pos += 2;
        continue;
      }
      flush();
      return { parts, end: pos + 1 };
    }
    if (c === '{') {
      if (text[pos + 1] === '{') {
        literal += '{';
        pos += 2;
        continue;
      }
      flush();
      const hole = scanHole(text, pos + 1, end);
      parts.push({ kind: 'hole', start: pos + 1, end: hole.exprEnd, alignment: hole.alignment, format: hole.format });
      pos = hole.next;
      continue;
    }
    if (c === '}') {
      if (text[pos + 1] === '}') {
        literal += '}';
        pos += 2;
        continue;
      }
      throw new ExpressionError("unexpected '}' in interpolated string: write '}}' for a literal brace", text, pos);
    }
    if (!verbatim && c === '\\') {
      const { value, next } = scanEscape(text, pos, end);
      literal += value;
      pos = next;
      continue;
    }
    if (!verbatim && (c === '\n' || c === '\r')) break;
    literal += c;
    pos++;
  }
  throw new ExpressionError('unterminated interpolated string: expected \'"\'', text, tokenStart);
}

function scanHole(
  text: string,
  pos: number,
  end: number,
): { exprEnd: number; alignment: { start: number; end: number } | undefined; format: string | undefined; next: number } {
  const holeStart = pos;
  let depth = 0;
  let exprEnd = -1;
  let alignment: { start: number; end: number } | undefined;
  let alignStart = -1;
  while (pos < end) {
    const c = text[pos] as string;
    if (c === '"' || c === "'" || (c === '@' && text[pos + 1] === '"') || (c === '$' && (text[pos + 1] === '"' || text[pos + 1] === '@'))) {
      pos = skipNestedLiteral(text, pos, end);
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (c === '}' && depth > 0) depth--;
    else if (depth === 0 && c === ',' && alignStart < 0) {
      exprEnd = pos;
      alignStart = pos + 1;
    } else if (depth === 0 && (c === ':' || c === '}')) {
      if (alignStart >= 0) alignment = { start: alignStart, end: pos };
      else exprEnd = pos;
      if (c === '}') return { exprEnd, alignment, format: undefined, next: pos + 1 };
      const close = text.indexOf('}', pos + 1);
      if (close < 0 || close >= end) break;
      return { exprEnd, alignment, format: text.slice(pos + 1, close), next: close + 1 };
    }
    pos++;
  }
  throw new ExpressionError("unterminated interpolation hole: expected '}'", text, holeStart - 1);
}

/** Skips a string or char literal inside an interpolation hole; returns the offset after it. */
function skipNestedLiteral(text: string, pos: number, end: number): number {
  if (text[pos] === '$') {
    const verbatim = text[pos + 1] === '@';
    return scanInterpolated(text, pos + (verbatim ? 3 : 2), end, verbatim, pos).end;
  }
  if (text[pos] === '@') return scanVerbatimString(text, pos + 2, end, pos).end;
  if (text[pos] === "'") return scanChar(text, pos + 1, end, pos).end;
  return scanRegularString(text, pos + 1, end, pos).end;
}
