import { describe, expect, it } from 'vitest';
import { classifyOriginError, DEFAULT_ORIGIN_ERROR_STATUSES, errorPage, OriginTimeoutError, statusForError, validateStatuses } from './origin-errors.ts';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

describe('origin errors', () => {
  it('names failures as the AFD access log does', () => {
    expect(classifyOriginError(errno('ECONNREFUSED'))).toBe('OriginConnectionRefused');
    expect(classifyOriginError(errno('ECONNRESET'))).toBe('OriginConnectionAborted');
    expect(classifyOriginError(errno('ENOTFOUND'))).toBe('DNSNameNotResolved');
    expect(classifyOriginError(errno('EHOSTUNREACH'))).toBe('OriginConnectionError');
    expect(classifyOriginError(new OriginTimeoutError(30))).toBe('OriginTimeout');
  });

  it('answers 503 for connection failures and 504 for timeouts by default', () => {
    expect(DEFAULT_ORIGIN_ERROR_STATUSES).toEqual({ connectionFailure: 503, timeout: 504 });
    expect(statusForError('OriginConnectionRefused', DEFAULT_ORIGIN_ERROR_STATUSES)).toBe(503);
    expect(statusForError('OriginTimeout', DEFAULT_ORIGIN_ERROR_STATUSES)).toBe(504);
    expect(statusForError('OriginConnectionAborted', { connectionFailure: 502, timeout: 504 })).toBe(502);
  });

  it('accepts only 5xx statuses', () => {
    expect(() => validateStatuses({ connectionFailure: 200, timeout: 504 })).toThrow(/5xx/);
    expect(validateStatuses({ connectionFailure: 502, timeout: 503 })).toEqual({ connectionFailure: 502, timeout: 503 });
  });

  it('serves the Front Door error page with the reference', () => {
    const page = errorPage('20260101T000000Z-abc');
    expect(page).toContain("Our services aren't available right now");
    expect(page).toContain('20260101T000000Z-abc');
    expect(errorPage('<script>')).not.toContain('<script>');
  });
});
