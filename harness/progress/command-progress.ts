import type { ProgressRenderer } from './progress-events.ts';
import { progressReporter, type ProgressReporter } from './progress-reporter.ts';
import { colourEnabled } from './output-style.ts';
import { plainRenderer } from './plain-renderer.ts';
import { terminalRenderer, type TerminalStream } from './terminal-renderer.ts';

/**
 * The progress display of a command (run, capacity, drill), chosen once from where it goes:
 * nothing with --quiet (the command prints only its result), an updating line on a terminal,
 * plain timestamped lines otherwise (a CI log, a pipe, a file). A dumb terminal cannot redraw,
 * so it gets the plain lines too. Colour is decided apart (output-style.ts): FORCE_COLOR can
 * colour a CI log's plain lines, and never turns them into an updating line.
 */
export interface CommandProgressOptions {
  quiet?: boolean;
  stream: TerminalStream;
  env?: NodeJS.ProcessEnv;
}

export function commandProgress(options: CommandProgressOptions): ProgressReporter {
  return progressReporter(chooseRenderer(options));
}

export function chooseRenderer({ quiet, stream, env = process.env }: CommandProgressOptions): ProgressRenderer {
  if (quiet) return nullRenderer;
  const colour = colourEnabled(stream, env);
  if (stream.isTTY === true && env.TERM !== 'dumb') return terminalRenderer({ stream, colour });
  return plainRenderer({ write: (text) => void stream.write(text), colour });
}

/** --quiet: every event dropped. */
export const nullRenderer: ProgressRenderer = { render: () => undefined, close: () => undefined };
