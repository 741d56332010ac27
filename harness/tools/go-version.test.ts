import { describe, expect, it } from 'vitest';
import { compareGoVersions, goStaysLocal } from './go-version.ts';

describe('compareGoVersions', () => {
  it('compares by numbers, not text', () => {
    expect(compareGoVersions('1.9', '1.25')).toBeLessThan(0);
    expect(compareGoVersions('1.25', '1.25.0')).toBe(0);
    expect(compareGoVersions('1.26.8', '1.25')).toBeGreaterThan(0);
    expect(compareGoVersions('1.21rc2', '1.21')).toBe(0);
    expect(compareGoVersions('1.20.14', '1.21')).toBeLessThan(0);
  });
});

describe('goStaysLocal', () => {
  it('knows GOTOOLCHAIN=local, with or without a fallback', () => {
    expect(goStaysLocal({ GOTOOLCHAIN: 'local' })).toBe(true);
    expect(goStaysLocal({ GOTOOLCHAIN: 'local+auto' })).toBe(true);
    expect(goStaysLocal({ GOTOOLCHAIN: 'auto' })).toBe(false);
    expect(goStaysLocal({ GOTOOLCHAIN: 'go1.25.0+auto' })).toBe(false);
    expect(goStaysLocal({})).toBe(false);
  });
});
