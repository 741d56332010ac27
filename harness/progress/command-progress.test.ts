import { describe, expect, it } from 'vitest';
import { commandProgress } from './command-progress.ts';
import { colourEnabled } from './output-style.ts';
import type { ProgressEvent } from './progress-events.ts';
import { eventsOf } from './progress-reporter.ts';

const sgr = /\u001b\[[\d;]*m/;
const anyEscape = /\u001b/;

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, columns: 120, rows: 24, written, write: (text: string) => written.push(text) > 0 };
}

const events: ProgressEvent[] = [
  { type: 'phase', at: Date.UTC(2026, 11, 7, 11, 40, 0), phase: 'load' },
  { type: 'fault', at: Date.UTC(2026, 11, 7, 11, 40, 5), change: 'failed', id: 'down', action: 'region-down', target: 'eastus', secondsIntoLoad: 5, problem: 'refused' },
  { type: 'load', at: Date.UTC(2026, 11, 7, 11, 40, 12), reading: { elapsedSeconds: 12, totalSeconds: 30, rps: 20, targetRps: 20, requests: 240, errors: { total: 1, throttled: 0, server: 1, network: 0, other: 0 } } },
];

function show(options: { quiet?: boolean; isTTY: boolean; env: NodeJS.ProcessEnv }): string {
  const out = stream(options.isTTY);
  const progress = commandProgress({ quiet: options.quiet ?? false, stream: out, env: options.env });
  progress('a message');
  for (const event of events) progress.emit(event);
  progress.close();
  return out.written.join('');
}

describe('colour, as Node and the NO_COLOR and FORCE_COLOR conventions decide it', () => {
  it.each([
    [true, {}, true],
    [false, {}, false],
    [true, { TERM: 'dumb' }, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [false, { FORCE_COLOR: '1' }, true],
    [false, { FORCE_COLOR: '' }, true],
    [true, { FORCE_COLOR: '0' }, false],
    [true, { FORCE_COLOR: 'false' }, false],
    [false, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
  ])('a %s terminal with %j: colour %s', (isTTY, env, expected) => {
    expect(colourEnabled({ isTTY }, env as NodeJS.ProcessEnv)).toBe(expected);
  });
});

describe('the display a command gets', () => {
  it('--quiet: nothing at all', () => {
    expect(show({ quiet: true, isTTY: true, env: {} })).toBe('');
  });

  it('not a terminal (a CI log): timestamped plain lines, no escape code', () => {
    const text = show({ isTTY: false, env: {} });
    expect(text).not.toMatch(anyEscape);
    expect(text.split('\n').filter(Boolean).every((line) => /^\d\d:\d\d:\d\dZ {2}/.test(line))).toBe(true);
    expect(text).toContain('fault failed down (region-down on eastus) at 5.0 s: refused');
  });

  it('not a terminal with FORCE_COLOR: plain lines in colour, never redrawn', () => {
    const text = show({ isTTY: false, env: { FORCE_COLOR: '1' } });
    expect(text).toMatch(sgr);
    expect(text.replace(new RegExp(sgr, 'g'), '')).not.toMatch(anyEscape);
  });

  it('a terminal: the updating line, in colour, and none with NO_COLOR', () => {
    const coloured = show({ isTTY: true, env: {} });
    expect(coloured).toMatch(/\u001b\[2K/); // lines erased and redrawn
    expect(coloured).toMatch(sgr);
    const plain = show({ isTTY: true, env: { NO_COLOR: '1' } });
    expect(plain).toMatch(/\u001b\[2K/);
    expect(plain).not.toMatch(sgr);
  });

  it('a dumb terminal cannot redraw: plain lines', () => {
    expect(show({ isTTY: true, env: { TERM: 'dumb' } })).not.toMatch(anyEscape);
  });

  it('rides the line channel: a layer that passes `progress` on passes the events too', () => {
    const progress = commandProgress({ quiet: true, stream: stream(false) });
    const passedOn: (line: string) => void = progress;
    expect(eventsOf(passedOn)).toBe(progress.emit);
    expect(eventsOf((line: string) => void line)).toBeNull();
    expect(eventsOf(undefined)).toBeNull();
  });
});
