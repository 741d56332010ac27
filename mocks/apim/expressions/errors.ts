/**
 * The two kinds of failure a policy expression can have. They are kept apart because APIM
 * treats them differently: a compile error rejects the policy document when it is saved
 * (the emulator: when it is loaded), while a runtime error sends the request down the
 * on-error section with context.LastError filled in.
 */

/** A 1-based line and column, as editors and APIM's own messages count them. */
export interface LineColumn {
  line: number;
  column: number;
}

export function lineColumnAt(text: string, offset: number): LineColumn {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * A syntax or static-typing error found while compiling. Offsets count from the start of the
 * whole attribute text handed to compileExpression (the `@(` included), so the policy loader
 * can add the attribute's own position in the XML file to point at the exact character.
 */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  /** The message without the position suffix, e.g. "expected ')'". */
  readonly reason: string;
  /** The whole expression text (attribute value) the offset refers to. */
  readonly text: string;
  /** 0-based character offset into `text`. */
  readonly offset: number;
  readonly line: number;
  readonly column: number;

  /**
   * @param found what stood at the offset instead, for "expected" errors; it goes after the
   *   position so the message still reads "expected ')' at 1:17".
   */
  constructor(reason: string, text: string, offset: number, found?: string) {
    const { line, column } = lineColumnAt(text, offset);
    super(`${reason} at ${line}:${column}${found === undefined ? '' : `, found ${found}`}`);
    this.reason = reason;
    this.text = text;
    this.offset = offset;
    this.line = line;
    this.column = column;
  }

  /** The offending line with a caret under the error, for terminal output. */
  excerpt(): string {
    const lines = this.text.split('\n');
    const source = lines[this.line - 1] ?? '';
    return `${source}\n${' '.repeat(Math.max(0, this.column - 1))}^`;
  }
}

/**
 * An exception the expression raised while running. `exceptionType` and `message` are what
 * the .NET runtime behind APIM would report (e.g. NullReferenceException, "Object reference
 * not set to an instance of an object."), so the policy engine can copy them into
 * context.LastError and tests of on-error handling see realistic text.
 */
export class ExpressionRuntimeError extends Error {
  override readonly name = 'ExpressionRuntimeError';
  /** Short .NET exception type name, e.g. "InvalidCastException". */
  readonly exceptionType: string;
  /** Where in the expression text the failing operation sits, when known. */
  offset: number | undefined;
  line: number | undefined;
  column: number | undefined;
  text: string | undefined;

  constructor(exceptionType: string, message: string) {
    super(message);
    this.exceptionType = exceptionType;
    this.offset = undefined;
    this.line = undefined;
    this.column = undefined;
    this.text = undefined;
  }

  /** Records the failing operation's position once; the innermost site wins. */
  locate(text: string, offset: number): this {
    if (this.offset === undefined) {
      const { line, column } = lineColumnAt(text, offset);
      this.offset = offset;
      this.line = line;
      this.column = column;
      this.text = text;
    }
    return this;
  }
}

// The .NET exceptions expressions can raise, with the messages .NET itself uses. Kept in one
// place so every built-in reports a given failure with the same words.

export function nullReference(): ExpressionRuntimeError {
  return new ExpressionRuntimeError('NullReferenceException', 'Object reference not set to an instance of an object.');
}

export function invalidCast(fromType: string, toType: string): ExpressionRuntimeError {
  return new ExpressionRuntimeError('InvalidCastException', `Unable to cast object of type '${fromType}' to type '${toType}'.`);
}

export function formatError(message = 'Input string was not in a correct format.'): ExpressionRuntimeError {
  return new ExpressionRuntimeError('FormatException', message);
}

export function argumentNull(parameter: string): ExpressionRuntimeError {
  return new ExpressionRuntimeError('ArgumentNullException', `Value cannot be null. (Parameter '${parameter}')`);
}

export function argumentError(message: string): ExpressionRuntimeError {
  return new ExpressionRuntimeError('ArgumentException', message);
}

export function argumentOutOfRange(parameter: string, message: string): ExpressionRuntimeError {
  return new ExpressionRuntimeError('ArgumentOutOfRangeException', `${message} (Parameter '${parameter}')`);
}

export function indexOutOfRange(): ExpressionRuntimeError {
  return new ExpressionRuntimeError('IndexOutOfRangeException', 'Index was outside the bounds of the array.');
}

export function overflow(typeName: string): ExpressionRuntimeError {
  const article = /^[AEIOU]/.test(typeName) ? 'an' : 'a';
  return new ExpressionRuntimeError('OverflowException', `Value was either too large or too small for ${article} ${typeName}.`);
}

export function keyNotFound(key: string): ExpressionRuntimeError {
  return new ExpressionRuntimeError('KeyNotFoundException', `The given key '${key}' was not present in the dictionary.`);
}

export function divideByZero(): ExpressionRuntimeError {
  return new ExpressionRuntimeError('DivideByZeroException', 'Attempted to divide by zero.');
}

export function invalidOperation(message: string): ExpressionRuntimeError {
  return new ExpressionRuntimeError('InvalidOperationException', message);
}
