import { describe, expect, it } from 'vitest';
import type { LoadReading, ProgressEvent } from './progress-events.ts';
import { terminalRenderer } from './terminal-renderer.ts';

/**
 * A fake TTY: it records what was written and replays it on a screen model that knows the
 * escape codes log-update writes (erase line, cursor up/down/left, erase to end of line,
 * synchronized output, colours), so a test reads the screen a person would see.
 */
function fakeTerminal(columns: number) {
  let raw = '';
  return {
    isTTY: true as const,
    columns,
    rows: 24,
    write(chunk: string): boolean {
      raw += chunk;
      return true;
    },
    get raw() {
      return raw;
    },
    screen(): string[] {
      const lines: string[] = [''];
      let row = 0;
      let col = 0;
      const put = (ch: string): void => {
        const line = lines[row]!.padEnd(col, ' ');
        lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
        col += 1;
      };
      for (let i = 0; i < raw.length; ) {
        const escape = /^\u001b\[(\??)(\d*(?:;\d+)*)([A-Za-z])/.exec(raw.slice(i));
        if (escape) {
          const [whole, , params, code] = escape;
          const n = Number(params || '1');
          if (code === 'A') row = Math.max(0, row - n);
          else if (code === 'B') row += n;
          else if (code === 'G') col = 0;
          else if (code === 'K' && params === '2') lines[row] = '';
          else if (code === 'K') lines[row] = lines[row]!.slice(0, col);
          // 'm' (colour) and '?2026h/l' (synchronized output) change nothing on the screen.
          while (lines.length <= row) lines.push('');
          i += whole.length;
          continue;
        }
        const ch = raw[i]!;
        if (ch === '\n') {
          row += 1;
          col = 0;
          while (lines.length <= row) lines.push('');
        } else put(ch);
        i += 1;
      }
      while (lines.length > 0 && lines.at(-1) === '') lines.pop();
      return lines;
    },
  };
}

const t0 = Date.UTC(2026, 11, 7, 11, 40, 0);
const at = (seconds: number): number => t0 + seconds * 1000;
const errors = { total: 3, throttled: 3, server: 0, network: 0, other: 0 };
const reading = (elapsedSeconds: number, requests: number): LoadReading => ({ elapsedSeconds, totalSeconds: 30, rps: 49.8, targetRps: 50, requests, errors });

function render(events: readonly ProgressEvent[], options: { columns?: number; colour?: boolean; close?: boolean } = {}) {
  const terminal = fakeTerminal(options.columns ?? 200);
  let clock = at(0);
  const renderer = terminalRenderer({ stream: terminal, colour: options.colour ?? false, now: () => clock, redrawMs: 0 });
  for (const event of events) {
    clock = event.at;
    renderer.render(event);
  }
  if (options.close) renderer.close();
  return terminal;
}

const run: ProgressEvent[] = [
  { type: 'phase', at: at(0), phase: 'starting' },
  { type: 'message', at: at(0.5), text: 'starting the mock fleet' },
  { type: 'phase', at: at(2), phase: 'preflight' },
  { type: 'phase', at: at(3), phase: 'load' },
  { type: 'load', at: at(4), reading: reading(1, 40) },
  { type: 'fault', at: at(5), change: 'applied', id: 'ptu-429', action: 'fleet:status 429', target: 'ptu-1', secondsIntoLoad: 2 },
  { type: 'load', at: at(6), reading: reading(3, 140) },
  { type: 'load', at: at(7), reading: reading(4, 190) },
];

describe('the terminal renderer (one updating line)', () => {
  it('keeps messages and faults above one status line that is redrawn in place', () => {
    const terminal = render(run);
    expect(terminal.screen()).toEqual([
      'starting the mock fleet',
      'fault applied ptu-429 (fleet:status 429 on ptu-1) at 2.0 s',
      'load + faults · 4/30 s, 26 s left · 49.8 of 50 req/s · 190 responses · errors 3 (429: 3) · faults: ptu-429 (fleet:status 429 on ptu-1)',
    ]);
    // Redrawn, not appended: earlier frames were written, and erased.
    expect(terminal.raw).toContain('preflight');
    expect(terminal.raw).toContain('140 responses');
  });

  it('cuts the line to the terminal width, so it stays one line', () => {
    const terminal = render(run, { columns: 60 });
    const screen = terminal.screen();
    // One column short of the width: a line that fills it would wrap on some terminals.
    expect(screen.at(-1)).toBe('load + faults · 4/30 s, 26 s left · 49.8 of 50 req/s · 190…');
    expect(screen.at(-1)).toHaveLength(59);
  });

  it('shows the time in a phase without load, and erases the line on close', () => {
    expect(render(run.slice(0, 3)).screen()).toEqual(['starting the mock fleet', 'preflight · 0 s']);
    expect(render(run, { close: true }).screen()).toEqual(['starting the mock fleet', 'fault applied ptu-429 (fleet:status 429 on ptu-1) at 2.0 s']);
  });

  it('writes colour codes only when colour is on', () => {
    const sgr = /\u001b\[[\d;]*m/;
    expect(render(run, { colour: false }).raw).not.toMatch(sgr);
    expect(render(run, { colour: true }).raw).toMatch(sgr);
  });
});
