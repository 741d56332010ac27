import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { describeExpectations } from './expectations-mode.ts';
import { defaultGatewayConfigDir, expectationsSourceOf } from './run-scenario.ts';

describe('describeExpectations', () => {
  it('names the mode and the question it answers', () => {
    expect(describeExpectations({ mode: 'configuration-under-test', dir: '/c' })).toBe(
      'expectations: configuration-under-test (from /c, the configuration the gateway runs: does the gateway do what its configuration says?)',
    );
    expect(describeExpectations({ mode: 'intended-configuration', dir: '/approved', gatewayConfigDir: '/candidate' })).toMatch(/^expectations: intended-configuration \(from \/approved, while the gateway runs \/candidate: /);
    expect(describeExpectations({ mode: 'file', file: '/x.json' })).toBe('expectations: file (/x.json, given explicitly)');
  });
});

describe('expectationsSourceOf', () => {
  it('reads the mode from the options a person gave', () => {
    expect(expectationsSourceOf({})).toEqual({ mode: 'configuration-under-test', dir: defaultGatewayConfigDir });
    expect(expectationsSourceOf({ gatewayConfigDir: 'candidate' })).toEqual({ mode: 'configuration-under-test', dir: resolve('candidate') });
    expect(expectationsSourceOf({ gatewayConfigDir: 'candidate', expectationsConfigDir: 'approved' })).toEqual({ mode: 'intended-configuration', dir: resolve('approved'), gatewayConfigDir: resolve('candidate') });
    expect(expectationsSourceOf({ expectationsFile: 'x.json' })).toEqual({ mode: 'file', file: resolve('x.json') });
  });
});
