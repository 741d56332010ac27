import type { ProgressEvent, ProgressRenderer } from './progress-events.ts';

/**
 * What a command hands the pipeline as its `progress`: still a function taking a line, as every
 * layer has always passed it on (run-drill.ts hands its own `progress` to runScenario, the
 * targets say what they start through it), and carrying `emit` for the structured events. A
 * layer that only passes lines on needs no change to let the events through; a caller that
 * gives a plain function (the tests, a library user) gets lines as before.
 */
export type ProgressReporter = ((line: string) => void) & {
  readonly emit: (event: ProgressEvent) => void;
  /** Ends the display (the updating line is cleared) before the result is printed. */
  readonly close: () => void;
};

export function progressReporter(renderer: ProgressRenderer, now: () => number = Date.now): ProgressReporter {
  let closed = false;
  const emit = (event: ProgressEvent): void => {
    // A late event (a rollback finishing after the result) must not redraw over the result.
    if (!closed) renderer.render(event);
  };
  const say = (line: string): void => emit({ type: 'message', at: now(), text: line });
  return Object.assign(say, {
    emit,
    close: () => {
      if (closed) return;
      closed = true;
      renderer.close();
    },
  });
}

/** The event channel of a `progress` function, or null when it is a plain line function. */
export function eventsOf(progress: ((line: string) => void) | undefined): ((event: ProgressEvent) => void) | null {
  const emit = (progress as Partial<ProgressReporter> | undefined)?.emit;
  return typeof emit === 'function' ? emit : null;
}
