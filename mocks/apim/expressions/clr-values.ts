/**
 * How .NET values are represented at run time, and the .NET behaviour of formatting and
 * parsing them. Policies often turn numbers and booleans into header values, so
 * `true.ToString()` must give "True" and 0.1 + 0.2 must print the way .NET prints it.
 *
 * Representation: string → JS string (char → 1-character string), int/long/double → number,
 * bool → boolean, null → null, arrays → JS arrays, enums → their member name. DateTime,
 * TimeSpan and Guid get small classes so a value stored as `object` (in context.Variables)
 * can still be told apart from a number or a string when it is cast back.
 */
import { formatError, overflow, argumentNull } from './errors.ts';

/** A UTC DateTime, to the millisecond. APIM gateways run in UTC, so Kind is always Utc. */
export class ClrDateTime {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
}

/** A TimeSpan, to the millisecond (ticks beyond that are not modelled). */
export class ClrTimeSpan {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
}

/** A Guid, held in its lower-case "D" form (8-4-4-4-12). */
export class ClrGuid {
  readonly text: string;
  constructor(text: string) {
    this.text = text.toLowerCase();
  }
}

// ---- formatting ----

/**
 * double.ToString() as .NET Core 3.0+ does it: the shortest round-trippable digits (same as
 * JS), but in exponent form with an upper-case 'E' and at least two exponent digits when the
 * decimal exponent is below -4 or at least 15 (1E+15, 1E-05), and invariant NaN/Infinity.
 */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 15) return String(value);
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}E${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

export function formatBool(value: boolean): string {
  return value ? 'True' : 'False';
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** DateTime.ToString with the invariant culture: standard formats o/s/u/r/d/D/t/T/g/G and custom patterns. */
export function formatDateTime(value: ClrDateTime, format = 'G'): string {
  const standard: Record<string, string> = {
    o: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    O: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    s: "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    u: "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    r: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    R: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    d: 'MM/dd/yyyy',
    D: 'dddd, dd MMMM yyyy',
    t: 'HH:mm',
    T: 'HH:mm:ss',
    g: 'MM/dd/yyyy HH:mm',
    G: 'MM/dd/yyyy HH:mm:ss',
  };
  let pattern = format;
  if (format.length === 1) {
    const expanded = standard[format];
    if (expanded === undefined) throw formatError();
    pattern = expanded;
  }
  const d = new Date(value.ms);
  const parts = {
    y: d.getUTCFullYear(),
    M: d.getUTCMonth() + 1,
    d: d.getUTCDate(),
    H: d.getUTCHours(),
    m: d.getUTCMinutes(),
    s: d.getUTCSeconds(),
    f: d.getUTCMilliseconds(),
    w: d.getUTCDay(),
  };
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "'" || c === '"') {
      const close = pattern.indexOf(c, i + 1);
      if (close < 0) throw formatError();
      out += pattern.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    if (c === '\\') {
      out += pattern[i + 1] ?? '';
      i += 2;
      continue;
    }
    let run = 1;
    while (pattern[i + run] === c) run++;
    switch (c) {
      case 'y':
        out += run === 2 ? pad(parts.y % 100, 2) : pad(parts.y, run === 1 ? 1 : run);
        break;
      case 'M':
        out += run >= 4 ? MONTHS[parts.M - 1] : run === 3 ? (MONTHS[parts.M - 1] as string).slice(0, 3) : pad(parts.M, run);
        break;
      case 'd':
        out += run >= 4 ? DAYS[parts.w] : run === 3 ? (DAYS[parts.w] as string).slice(0, 3) : pad(parts.d, run);
        break;
      case 'H':
        out += pad(parts.H, Math.min(run, 2));
        break;
      case 'h':
        out += pad(parts.H % 12 === 0 ? 12 : parts.H % 12, Math.min(run, 2));
        break;
      case 'm':
        out += pad(parts.m, Math.min(run, 2));
        break;
      case 's':
        out += pad(parts.s, Math.min(run, 2));
        break;
      case 'f':
      case 'F': {
        const digits = (pad(parts.f, 3) + '0000').slice(0, Math.min(run, 7));
        out += c === 'F' ? digits.replace(/0+$/, '') : digits;
        break;
      }
      case 't':
        out += (parts.H < 12 ? 'AM' : 'PM').slice(0, run === 1 ? 1 : 2);
        break;
      case 'K':
      case 'Z':
        out += 'Z';
        break;
      case 'z':
        out += run === 1 ? '+0' : run === 2 ? '+00' : '+00:00';
        break;
      default:
        out += c.repeat(run);
    }
    i += run;
  }
  return out;
}

/** TimeSpan.ToString() in the constant ("c") format: [-][d.]hh:mm:ss[.fffffff]. */
export function formatTimeSpan(value: ClrTimeSpan): string {
  const negative = value.ms < 0;
  let ms = Math.abs(value.ms);
  const days = Math.floor(ms / 86_400_000);
  ms -= days * 86_400_000;
  const hours = Math.floor(ms / 3_600_000);
  ms -= hours * 3_600_000;
  const minutes = Math.floor(ms / 60_000);
  ms -= minutes * 60_000;
  const seconds = Math.floor(ms / 1000);
  ms -= seconds * 1000;
  const fraction = ms > 0 ? `.${pad(Math.round(ms * 10_000), 7)}` : '';
  return `${negative ? '-' : ''}${days > 0 ? `${days}.` : ''}${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}${fraction}`;
}

/** Guid.ToString(format) for the N, D, B and P formats. */
export function formatGuid(value: ClrGuid, format = 'D'): string {
  switch (format) {
    case 'D':
    case 'd':
    case '':
      return value.text;
    case 'N':
    case 'n':
      return value.text.replaceAll('-', '');
    case 'B':
    case 'b':
      return `{${value.text}}`;
    case 'P':
    case 'p':
      return `(${value.text})`;
    default:
      throw formatError('Format string can be only "D", "d", "N", "n", "P", "p", "B", "b", "X" or "x".');
  }
}

/**
 * Numeric ToString(format) for the standard formats policies use: D/Dn (integers), F/Fn,
 * N/Nn (thousands separators), G/R, X/Xn (integers). `integral` says the static type is
 * int or long, which decides how G and D behave.
 */
export function formatNumber(value: number, format: string, integral: boolean): string {
  if (format === '') return integral ? String(value) : formatDouble(value);
  const spec = format[0] as string;
  const digitsText = format.slice(1);
  if (!/^\d{0,2}$/.test(digitsText)) throw formatError('Format specifier was invalid.');
  const digits = digitsText === '' ? undefined : Number(digitsText);
  switch (spec) {
    case 'D':
    case 'd': {
      if (!integral) throw formatError('Format specifier was invalid.');
      const body = String(Math.abs(value)).padStart(digits ?? 0, '0');
      return value < 0 ? `-${body}` : body;
    }
    case 'F':
    case 'f':
      return roundHalfAwayFromZero(value, digits ?? 2).toFixed(digits ?? 2);
    case 'N':
    case 'n': {
      const fixed = roundHalfAwayFromZero(value, digits ?? 2).toFixed(digits ?? 2);
      const [whole = '', fraction] = fixed.split('.');
      const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      return fraction === undefined ? grouped : `${grouped}.${fraction}`;
    }
    case 'G':
    case 'g':
    case 'R':
    case 'r':
      return integral ? String(value) : formatDouble(value);
    case 'X':
    case 'x': {
      if (!integral) throw formatError('Format specifier was invalid.');
      const hex = (value < 0 ? (value >>> 0) : value).toString(16).padStart(digits ?? 0, '0');
      return spec === 'X' ? hex.toUpperCase() : hex;
    }
    default:
      throw formatError('Format specifier was invalid.');
  }
}

/** .NET's numeric formatting rounds midpoints away from zero; toFixed works on the binary value. */
function roundHalfAwayFromZero(value: number, digits: number): number {
  const factor = 10 ** digits;
  const scaled = Math.abs(value) * factor;
  const rounded = Math.round(Number(scaled.toPrecision(15))) / factor;
  return value < 0 ? -rounded : rounded;
}

// ---- parsing ----

const INTEGER_PATTERN = /^[\t\n\v\f\r ]*([+-]?)(\d+)[\t\n\v\f\r \0]*$/;

/** int.Parse / long.Parse with NumberStyles.Integer and the invariant culture. */
export function parseInteger(text: string | null, bits: 32 | 64, parameter = 's'): number {
  if (text === null) throw argumentNull(parameter);
  const m = INTEGER_PATTERN.exec(text);
  if (m === null) throw formatError();
  const value = Number(`${m[1]}${m[2]}`);
  const [min, max] = bits === 32 ? [-2147483648, 2147483647] : [-9223372036854775808, 9223372036854775807];
  if (value < min || value > max) throw overflow(bits === 32 ? 'Int32' : 'Int64');
  return value === 0 ? 0 : value;
}

const FLOAT_PATTERN = /^[\t\n\v\f\r ]*[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?([eE][+-]?\d+)?[\t\n\v\f\r \0]*$/;

/** double.Parse with NumberStyles.Float | AllowThousands and the invariant culture. */
export function parseDouble(text: string | null, parameter = 's'): number {
  if (text === null) throw argumentNull(parameter);
  const trimmed = text.trim();
  if (trimmed === 'NaN') return NaN;
  if (trimmed === 'Infinity' || trimmed === '+Infinity' || trimmed === '∞') return Infinity;
  if (trimmed === '-Infinity' || trimmed === '-∞') return -Infinity;
  const m = FLOAT_PATTERN.exec(text);
  if (m === null || (m[1] === undefined && (m[3] === undefined || m[3] === '.'))) throw formatError();
  return Number(trimmed.replaceAll(',', ''));
}

/** bool.Parse: "true"/"false" in any case, surrounding whitespace allowed. */
export function parseBool(text: string | null, parameter = 'value'): boolean {
  if (text === null) throw argumentNull(parameter);
  const t = text.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw formatError(`String '${text}' was not recognized as a valid Boolean.`);
}

/** Math.Round's default MidpointRounding.ToEven (banker's rounding). */
export function roundToEven(value: number, digits = 0): number {
  const factor = 10 ** digits;
  const scaled = value * factor;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  let rounded: number;
  if (Math.abs(diff - 0.5) < 1e-9 * Math.max(1, Math.abs(scaled))) rounded = floor % 2 === 0 ? floor : floor + 1;
  else rounded = Math.round(scaled);
  return rounded / factor;
}

/** Checked conversion of a double to int/long, as Convert.ToInt32(double) does (rounds to even). */
export function doubleToInteger(value: number, bits: 32 | 64): number {
  const rounded = roundToEven(value);
  const [min, max] = bits === 32 ? [-2147483648, 2147483647] : [-9223372036854775808, 9223372036854775807];
  if (!(rounded >= min && rounded <= max)) throw overflow(bits === 32 ? 'Int32' : 'Int64');
  return rounded === 0 ? 0 : rounded;
}

/** Unchecked C# cast `(int)x` / `(long)x` of a double: truncates toward zero; int wraps. */
export function truncateToInteger(value: number, bits: 32 | 64): number {
  if (bits === 32) {
    if (!Number.isFinite(value)) return -2147483648;
    return Math.trunc(value) | 0;
  }
  if (!Number.isFinite(value)) return -9223372036854775808;
  return Math.trunc(value);
}

/** A random version-4 Guid in "D" format. */
export function randomGuidText(): string {
  return globalThis.crypto.randomUUID();
}
