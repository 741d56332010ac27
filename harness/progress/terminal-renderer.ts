import { createLogUpdate } from 'log-update';
import type { ProgressEvent, ProgressRenderer } from './progress-events.ts';
import { styled, type Style } from './output-style.ts';
import { applyEvent, contextWords, faultWords, initialState, loadWords, phaseWords, type ProgressState } from './progress-state.ts';

/**
 * Progress on one line of a terminal, redrawn as events come and once a second (the time in a
 * phase moves on between events): where in a capacity run or a drill day, the phase, the load's
 * time and time left, its rate against the plan's, responses, errors, the faults in place.
 * Messages and faults are written above the line and stay in the scrollback. The line is cut to
 * the terminal's width, so it stays one line; `close` erases it before the result is printed.
 *
 * log-update does the redrawing (erasing the previous frame, synchronized output where the
 * terminal has it); it is given the stream, so a test renders into a fake TTY. The cursor is
 * left visible: hiding it would need restoring however the process ends.
 */
export interface TerminalStream {
  write(text: string): boolean;
  readonly columns?: number;
  readonly rows?: number;
  readonly isTTY?: boolean;
}

export interface TerminalRendererOptions {
  stream: TerminalStream;
  colour: boolean;
  now?: () => number;
  /** Redraw this often between events, ms (default 1000; 0: only on events, for tests). */
  redrawMs?: number;
}

export function terminalRenderer(options: TerminalRendererOptions): ProgressRenderer {
  const { stream, colour } = options;
  const now = options.now ?? Date.now;
  // A terminal that does not know its size (a pseudo-terminal nobody sized: `script` in CI)
  // says 0 columns and 0 rows; log-update would then wrap at every character or draw nothing.
  const columns = (): number => stream.columns || 80;
  const sized = { write: (text: string) => stream.write(text), isTTY: stream.isTTY, get columns() { return columns(); }, get rows() { return stream.rows || 24; } };
  // log-update types its stream as a NodeJS.WriteStream; it uses write, columns, rows and isTTY.
  const update = createLogUpdate(sized as unknown as NodeJS.WriteStream, { showCursor: true });
  const state = initialState();
  let started = false;
  const draw = (): void => {
    if (!started) return;
    update(statusLine(state, now(), columns() - 1, colour));
  };
  const timer = (options.redrawMs ?? 1000) > 0 ? setInterval(draw, options.redrawMs ?? 1000) : null;
  timer?.unref();

  return {
    render(event: ProgressEvent) {
      applyEvent(state, event);
      started = true;
      if (event.type === 'message') update.persist(event.text);
      else if (event.type === 'fault') update.persist(styled(colour, event.change === 'failed' || event.change === 'rollback-failed' ? 'red' : 'yellow', faultWords(event)));
      draw();
    },
    close() {
      if (timer) clearInterval(timer);
      update.clear();
      update.done();
    },
  };
}

interface Segment {
  text: string;
  style?: Style;
}

/** The one line: its parts joined by " · ", cut to `width` characters, then styled. */
export function statusLine(state: ProgressState, at: number, width: number, colour: boolean): string {
  const segments: Segment[] = [
    ...contextWords(state).map((text) => ({ text })),
    { text: phaseWords(state), style: 'cyan' as const },
  ];
  if (state.phase === 'load' && state.load) {
    const [time, rate, responses, errors, ...rest] = loadWords(state.load);
    segments.push({ text: time! }, { text: rate!, style: 'bold' }, { text: responses! }, { text: errors!, ...(state.load.errors.total > 0 ? { style: 'red' as const } : {}) }, ...rest.map((text) => ({ text })));
    if (state.faults.size > 0) segments.push({ text: `faults: ${[...state.faults.values()].join(', ')}`, style: 'yellow' });
  } else if (state.phase !== null) {
    segments.push({ text: `${Math.max(0, Math.floor((at - state.phaseSince) / 1000))} s` });
  }
  return fit(segments, Math.max(10, width), colour);
}

function fit(segments: readonly Segment[], width: number, colour: boolean): string {
  let left = width;
  const out: string[] = [];
  for (const [index, segment] of segments.entries()) {
    const separator = index === 0 ? '' : ' · ';
    if (left <= separator.length + 1) break;
    left -= separator.length;
    const text = segment.text.length > left ? `${segment.text.slice(0, left - 1)}…` : segment.text;
    left -= text.length;
    out.push(separator, segment.style ? styled(colour, segment.style, text) : text);
  }
  return out.join('');
}
