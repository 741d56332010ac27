/**
 * Date/time and duration literals that appear in policy attributes. Parsed at load time so a
 * typo is reported with its line instead of failing (or silently defaulting) per request.
 * ISO 8601 durations have one parser for the whole emulator (mocks/shared/iso-duration.ts,
 * which the backends' circuit breaker rules use too).
 */
import { IsoDurationError, parseIsoDuration } from '../../shared/iso-duration.ts';

/** An ISO 8601 duration in milliseconds, or undefined when it is not one: the caller reports the attribute with its line. */
function isoDurationOrUndefined(text: string): number | undefined {
  try {
    return parseIsoDuration(text);
  } catch (error) {
    if (error instanceof IsoDurationError) return undefined;
    throw error;
  }
}

/** .NET TimeSpan constant format `[-][d.]hh:mm:ss[.fffffff]` → milliseconds; undefined when malformed. */
export function parseTimeSpan(text: string): number | undefined {
  const m = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!m) return undefined;
  const [, sign, d, h, min, s, frac] = m;
  if (Number(h) > 23 || Number(min) > 59 || Number(s) > 59) return undefined;
  const ms = (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000 + (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0);
  return sign ? -ms : ms;
}

/**
 * A duration given as whole seconds ("60"), a TimeSpan ("00:01:00") or ISO 8601 ("PT1M"), in
 * milliseconds. APIM documents validate-jwt's clock-skew as a "Timespan" while examples use
 * plain seconds, so all three spellings are accepted.
 */
export function parseFlexibleDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  if (t.startsWith('P')) return isoDurationOrUndefined(t);
  return parseTimeSpan(t);
}

/**
 * `yyyy-MM-ddTHH:mm:ssZ` (APIM's documented first-period-start format; fractional seconds and
 * numeric offsets accepted as well) → ms since the Unix epoch; undefined when malformed.
 * Date.parse alone is too lenient (it accepts "March 7"), hence the shape check first.
 */
export function parseIsoDateTime(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(t)) return undefined;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return undefined;
  // Reject impossible calendar dates that Date.parse rolls over (2024-02-30 → March 1).
  const [y, mo, d] = t.slice(0, 10).split('-').map(Number) as [number, number, number];
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const check = new Date(0);
  check.setUTCFullYear(y, mo - 1, d);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || y < 1) return undefined;
  return ms;
}
