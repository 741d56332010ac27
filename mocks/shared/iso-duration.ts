/**
 * ISO-8601 durations as APIM's backend resource uses them (`tripDuration`, `failureCondition.interval`,
 * e.g. "PT10S", "PT1H", "P1D" [SPEC-BE]), converted to milliseconds for the clock, and the
 * "hh:mm:ss" form the Event Grid CircuitBreaker events carry [DOC EG].
 */

/** Thrown for text that is not a duration we can turn into milliseconds; the message names the text. */
export class IsoDurationError extends Error {
  override name = 'IsoDurationError';
  readonly text: string;
  constructor(text: string, reason: string) {
    super(`"${text}" is not a valid ISO-8601 duration: ${reason} (expected e.g. PT10S, PT1M, PT1H, P1D, PT0.5S, P1DT2H)`);
    this.text = text;
  }
}

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;
const MS_PER_WEEK = 7 * MS_PER_DAY;

// P[nW][nD][T[nH][nM][nS]]; each number may carry a fraction ("." or "," per ISO-8601).
// Years and months (P1Y, P1M) are captured only so we can reject them by name below.
const PATTERN =
  /^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/**
 * Parses an ISO-8601 duration to whole milliseconds (rounded to the nearest millisecond, the
 * clock's resolution).
 *
 * Choices where APIM's docs are silent:
 * - Years and months are rejected: they have no fixed length, and every documented APIM value
 *   uses seconds, minutes, hours or days.
 * - Weeks are accepted as 7 days. Negative durations are rejected (a negative trip makes no sense).
 * - A fraction is allowed only on the last component, as ISO-8601 requires ("PT1.5H" is fine,
 *   "PT1.5H30M" is not). Surrounding whitespace is ignored; designators must be upper case.
 */
export function parseIsoDuration(text: string): number {
  if (typeof text !== 'string') throw new IsoDurationError(String(text), 'not a string');
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) throw new IsoDurationError(text, 'negative durations are not supported');
  const match = PATTERN.exec(trimmed);
  if (!match) throw new IsoDurationError(text, 'it does not match P[nD][T[nH][nM][nS]]');
  const [, years, months, weeks, days, hours, minutes, seconds] = match;
  if (years !== undefined) throw new IsoDurationError(text, 'years have no fixed length; use days');
  if (months !== undefined) throw new IsoDurationError(text, 'months have no fixed length; use days (or PTnM for minutes)');
  if (trimmed.endsWith('T')) throw new IsoDurationError(text, 'a "T" must be followed by hours, minutes or seconds');

  const parts: Array<[string | undefined, number]> = [
    [weeks, MS_PER_WEEK],
    [days, MS_PER_DAY],
    [hours, MS_PER_HOUR],
    [minutes, MS_PER_MINUTE],
    [seconds, MS_PER_SECOND],
  ];
  const present = parts.filter(([value]) => value !== undefined);
  if (present.length === 0) throw new IsoDurationError(text, 'it has no components');
  let total = 0;
  present.forEach(([value, unit], index) => {
    const normalised = (value as string).replace(',', '.');
    if (normalised.includes('.') && index !== present.length - 1) {
      throw new IsoDurationError(text, 'only the last component may have a fraction');
    }
    total += Number(normalised) * unit;
  });
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) throw new IsoDurationError(text, 'it is too large');
  return Math.round(total);
}

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

/**
 * Formats milliseconds like .NET's TimeSpan "c" format, which is what the Event Grid
 * CircuitBreaker events show ("00:00:01" [DOC EG]): "hh:mm:ss", with a "d." prefix once the
 * value reaches a day ("1.02:00:00") and a 7-digit fraction only when there are sub-second
 * milliseconds ("00:00:00.5000000"), as TimeSpan.ToString() does.
 */
export function formatHms(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatHms needs a finite, non-negative number of milliseconds, got ${ms}`);
  const whole = Math.round(ms);
  const days = Math.floor(whole / MS_PER_DAY);
  const hours = Math.floor((whole % MS_PER_DAY) / MS_PER_HOUR);
  const minutes = Math.floor((whole % MS_PER_HOUR) / MS_PER_MINUTE);
  const seconds = Math.floor((whole % MS_PER_MINUTE) / MS_PER_SECOND);
  const millis = whole % MS_PER_SECOND;
  const dayPrefix = days > 0 ? `${days}.` : '';
  // TimeSpan ticks are 100 ns, so milliseconds become 7 fraction digits ("5000000" for 500 ms).
  const fraction = millis > 0 ? `.${(millis * 10_000).toString().padStart(7, '0')}` : '';
  return `${dayPrefix}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}${fraction}`;
}
