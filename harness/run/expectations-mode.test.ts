import { describe, expect, it } from 'vitest';
import { describeExpectations } from './expectations-mode.ts';

describe('describeExpectations', () => {
  it('names the mode and the question it answers', () => {
    expect(describeExpectations({ mode: 'configuration-under-test', dir: '/c' })).toBe(
      'expectations: configuration-under-test (from /c, the configuration the gateway runs: does the gateway do what its configuration says?)',
    );
    expect(describeExpectations({ mode: 'intended-configuration', dir: '/approved', gatewayConfigDir: '/candidate' })).toMatch(/^expectations: intended-configuration \(from \/approved, while the gateway runs \/candidate: /);
    expect(describeExpectations({ mode: 'file', file: '/x.json' })).toBe('expectations: file (/x.json, given explicitly)');
  });
});
