import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { ErrorCounts } from './progress-events.ts';

/**
 * Follows k6's raw samples (`--out json=k6-samples.json`, one file per load generator) while k6
 * writes them, counting Spillway's `spillway_request` points: responses so far, errors by kind,
 * and the response rate over a recent window. k6 flushes that file every 200 ms or so.
 *
 * Why k6's file and not the fleet's ledger or the gateway's rows: it is the one source every
 * target has while the load runs (the embedded default, a gateway at a URL, a real APIM, k6 in
 * a container writing into the mounted run folder), and it counts what the plan's target rate
 * is about, the client's requests, whether the gateway answered them itself (a 429 from its
 * limit) or a backend did; a ledger counts backend requests (retries included, the gateway's
 * own answers not) and a real APIM's rows arrive minutes late. It is read incrementally, from
 * where the last poll stopped, so a long run costs no more per poll than a short one.
 */
export interface SampleTail {
  /** Reads whatever k6 wrote since the last poll. */
  poll(): void;
  readonly responses: number;
  readonly errors: Readonly<ErrorCounts>;
  /**
   * Responses per second that ended within the `windowMs` before `lagMs` ago (k6 writes with a
   * small delay), or since the first response when the load is younger; null until that span
   * is a second long.
   */
  rate(now: number, windowMs?: number, lagMs?: number): number | null;
}

interface FollowedFile {
  offset: number;
  decoder: StringDecoder;
  partial: string;
}

const chunkBytes = 1 << 20;

export function tailK6Samples(files: () => readonly string[]): SampleTail {
  const followed = new Map<string, FollowedFile>();
  const errors: ErrorCounts = { total: 0, throttled: 0, server: 0, network: 0, other: 0 };
  let responses = 0;
  let first: number | null = null;
  /** Response end times of the recent past, epoch ms (older ones are pruned). */
  let recent: number[] = [];

  const count = (line: string): void => {
    if (!line.includes('"spillway_request"')) return;
    let point: { type?: unknown; metric?: unknown; data?: { time?: unknown; tags?: { status?: unknown } } };
    try {
      point = JSON.parse(line) as typeof point;
    } catch {
      return; // A line k6 is still writing is never complete here; anything else is not ours.
    }
    if (point.type !== 'Point' || point.metric !== 'spillway_request') return;
    const time = typeof point.data?.time === 'string' ? Date.parse(point.data.time) : Number.NaN;
    const status = Number(point.data?.tags?.status);
    if (!Number.isFinite(time) || !Number.isInteger(status)) return;
    responses += 1;
    first = first === null ? time : Math.min(first, time);
    recent.push(time);
    const kind = status === 0 ? 'network' : status === 429 ? 'throttled' : status >= 500 ? 'server' : status >= 400 ? 'other' : null;
    if (kind) {
      errors[kind] += 1;
      errors.total += 1;
    }
  };

  const readNew = (file: string): void => {
    let fd: number;
    try {
      // Never blocking: a FIFO in its place (a test holding the analysis) would block a plain open.
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return; // Not created yet: k6 opens it once it starts.
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) return; // only a file k6 writes is followed
      const state = followed.get(file) ?? { offset: 0, decoder: new StringDecoder('utf8'), partial: '' };
      followed.set(file, state);
      const size = stat.size;
      const buffer = Buffer.allocUnsafe(chunkBytes);
      while (state.offset < size) {
        const read = readSync(fd, buffer, 0, Math.min(chunkBytes, size - state.offset), state.offset);
        if (read === 0) break;
        state.offset += read;
        const lines = (state.partial + state.decoder.write(buffer.subarray(0, read))).split('\n');
        state.partial = lines.pop() ?? '';
        for (const line of lines) count(line);
      }
    } finally {
      closeSync(fd);
    }
  };

  return {
    poll() {
      for (const file of files()) readNew(file);
    },
    get responses() {
      return responses;
    },
    get errors() {
      return errors;
    },
    rate(now, windowMs = 5000, lagMs = 1000) {
      const end = now - lagMs;
      recent = recent.filter((time) => time >= end - windowMs);
      if (first === null) return null;
      const start = Math.max(end - windowMs, first);
      if (end - start < 1000) return null;
      return recent.filter((time) => time >= start && time < end).length / ((end - start) / 1000);
    },
  };
}
