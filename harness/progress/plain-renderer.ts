import type { ProgressEvent, ProgressRenderer } from './progress-events.ts';
import { styled } from './output-style.ts';
import { applyEvent, contextWords, faultWords, formatRate, initialState, loadWords, phaseWords } from './progress-state.ts';

/**
 * Progress as plain lines, each with its UTC time, for output that is not a terminal (a CI log,
 * a file): one line per phase, fault, capacity step, drill and message as they come, and the
 * load's figures at most once every `intervalSeconds`, and once more when the load ends, so its
 * last figures are in the log (its final reading, or the latest before whatever ended it).
 * Nothing is redrawn, so nothing in a log is an escape code unless colour was asked for
 * (output-style.ts).
 */
export interface PlainRendererOptions {
  write: (text: string) => void;
  colour: boolean;
  /** At most one load line per this many seconds (default 10). */
  intervalSeconds?: number;
}

export function plainRenderer(options: PlainRendererOptions): ProgressRenderer {
  const { write, colour } = options;
  const intervalMs = (options.intervalSeconds ?? 10) * 1000;
  const state = initialState();
  let lastLoadLineAt = 0;
  /** The latest reading, when it was not written yet. */
  let unwritten: Extract<ProgressEvent, { type: 'load' }> | null = null;

  const line = (at: number, text: string): void => write(`${styled(colour, 'dim', clock(at))}  ${text}\n`);
  const loadLine = (event: Extract<ProgressEvent, { type: 'load' }>): void => {
    line(event.at, [...contextWords(state), styled(colour, 'bold', phaseWords(state)), ...loadWords(event.reading)].join(' · '));
    lastLoadLineAt = event.at;
    unwritten = null;
  };

  return {
    render(event) {
      // The load's last figures go in before whatever ends it.
      if (unwritten && (event.type === 'phase' || event.type === 'step' || event.type === 'drill')) loadLine(unwritten);
      applyEvent(state, event);
      switch (event.type) {
        case 'phase':
          lastLoadLineAt = event.at;
          line(event.at, [...contextWords(state), styled(colour, 'bold', phaseWords(state))].join(' · '));
          return;
        case 'load':
          unwritten = event;
          if (event.final || event.at - lastLoadLineAt >= intervalMs) loadLine(event);
          return;
        case 'fault':
          line(event.at, styled(colour, event.change === 'failed' || event.change === 'rollback-failed' ? 'red' : 'yellow', faultWords(event)));
          return;
        case 'step':
          // Each step is a load of its own: its first figures come an interval after it starts.
          lastLoadLineAt = event.at;
          line(event.at, `capacity step ${event.index}/${Math.max(event.of, event.index)}: ${formatRate(event.offeredRps)} req/s (${event.kind}) for ${formatRate(event.seconds)} s`);
          return;
        case 'drill':
          line(event.at, styled(colour, 'bold', `drill ${event.index}/${event.of}: ${event.name}`));
          return;
        case 'message':
          line(event.at, event.text);
          return;
      }
    },
    close() {
      if (unwritten) loadLine(unwritten);
    },
  };
}

/** 11:40:01Z: the time of day in UTC, which a CI log's own times can be set beside. */
function clock(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)}Z`;
}
