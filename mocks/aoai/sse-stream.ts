import { abortableSleep } from '../shared/abortable-sleep.ts';
import { StreamCutError } from '../shared/msw-node-server.ts';
import { sseFrame } from './sse-frames.ts';

/**
 * Produces a stream body that sends its frames over time: the opening frames at once (the
 * caller has already waited the time to first token), then one frame per token after its
 * inter-token gap, then the closing frames. A truncate fault cuts it off after N tokens.
 */
export interface TimedStreamPlan {
  opening: object[];
  tokens: object[];
  /** Gap before each token after the first (tokens.length - 1 entries). */
  gapsMs: readonly number[];
  /** Extra delay added before every token (a slow-stream fault). */
  extraPerTokenMs: number;
  closing: object[];
  cutAfterTokens: number | null;
  cutMode: 'reset' | 'close';
  signal: AbortSignal;
  /** Called once, with how many tokens went out and how the stream ended. */
  onEnd: (result: { tokensSent: number; outcome: 'complete' | 'cut' | 'client-closed' }) => void;
}

const encoder = new TextEncoder();

export function timedSseStream(plan: TimedStreamPlan): ReadableStream<Uint8Array> {
  let ended = false;
  let tokensSent = 0;
  let openingSent = false;
  const stop = new AbortController();
  const onClientGone = (): void => stop.abort();
  plan.signal.addEventListener('abort', onClientGone, { once: true });
  const end = (outcome: 'complete' | 'cut' | 'client-closed'): void => {
    if (ended) return;
    ended = true;
    plan.signal.removeEventListener('abort', onClientGone);
    plan.onEnd({ tokensSent, outcome });
  };

  // Pull-based with a high-water mark of 0: a frame is produced only when the consumer asks
  // for one, so nothing is ever left queued. That matters for a cut: erroring a stream
  // discards its queued chunks, and an eagerly filled queue would lose the very frames the
  // cut is meant to let through (at latencyScale 0, all of them).
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!openingSent) {
            openingSent = true;
            controller.enqueue(encoder.encode(plan.opening.map((frame) => sseFrame(frame)).join('')));
            return;
          }
          const cutReached = plan.cutAfterTokens !== null && tokensSent >= plan.cutAfterTokens;
          if (tokensSent < plan.tokens.length && !cutReached) {
            const i = tokensSent;
            const wait = (i === 0 ? 0 : (plan.gapsMs[i - 1] ?? 0)) + plan.extraPerTokenMs;
            if (wait > 0) await abortableSleep(wait, stop.signal);
            controller.enqueue(encoder.encode(sseFrame(plan.tokens[i]!)));
            tokensSent++;
            return;
          }
          // A truncate fault always truncates: an answer shorter than the cut point loses its
          // closing frames, so the client never sees finish_reason or [DONE].
          if (plan.cutAfterTokens !== null) {
            end('cut');
            controller.error(new StreamCutError(plan.cutMode));
            return;
          }
          controller.enqueue(encoder.encode(plan.closing.map((frame) => sseFrame(frame)).join('') + sseFrame('[DONE]')));
          controller.close();
          end('complete');
        } catch (error) {
          end('client-closed');
          controller.error(error);
        }
      },
      cancel() {
        stop.abort();
        end('client-closed');
      },
    },
    { highWaterMark: 0 },
  );
}
