import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * How much CPU the load generator used during a step, read from Linux's /proc: a process's user
 * and system time (fields 14 and 15 of /proc/<pid>/stat, in clock ticks) and the machine's busy
 * and total time (the first line of /proc/stat). A generator whose k6 processes used nearly all
 * the cores cannot be trusted to send on time even before it drops iterations, so a step with
 * one is not evidence about the gateway (judge-step.ts). Elsewhere than Linux, or for a process
 * already gone, the reading is null and the judgement rests on dropped iterations and VUs.
 */
export interface CpuReading {
  /** Cores the watched processes used on average over the step (1.5 = one and a half cores). */
  processCores: number | null;
  /** The machine's busy share over the step, 0-1, everything included. */
  machineBusy: number | null;
  /** The cores this process may use. */
  cores: number;
}

/** Linux's USER_HZ: /proc's times are in these ticks; 100 on every mainstream architecture. */
const ticksPerSecond = 100;

/** A process's CPU time so far in seconds, or null when it cannot be read. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / ticksPerSecond : null;
  } catch {
    return null;
  }
}

/** The machine's busy and total CPU ticks so far, or null when /proc/stat cannot be read. */
export function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    if (values.length < 4 || values.some((v) => !Number.isFinite(v))) return null;
    const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
    // guest and guest_nice (fields 9, 10) are already counted in user and nice.
    const total = values.slice(0, 8).reduce((sum, v) => sum + v, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * Starts watching processes (k6's pids, which may be known only once they start) and returns
 * the reading over the interval when stopped. A process that exits before the end is counted up
 * to its last reading, which the caller takes just before it awaits the exit.
 */
export function watchCpu(pids: () => readonly (number | undefined)[]): { sample(): void; stop(): CpuReading } {
  const startedAt = Date.now();
  const machineStart = machineTicks();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = (): void => {
    for (const pid of pids()) {
      if (pid === undefined) continue;
      const seconds = processCpuSeconds(pid);
      if (seconds === null) continue;
      if (!first.has(pid)) first.set(pid, seconds);
      last.set(pid, seconds);
    }
  };
  sample();
  return {
    sample,
    stop(): CpuReading {
      sample();
      const elapsed = (Date.now() - startedAt) / 1000;
      const machineEnd = machineTicks();
      let used = 0;
      for (const [pid, end] of last) used += end - (first.get(pid) ?? end);
      const machineBusy = machineStart && machineEnd && machineEnd.total > machineStart.total ? (machineEnd.busy - machineStart.busy) / (machineEnd.total - machineStart.total) : null;
      return { processCores: last.size > 0 && elapsed > 0 ? used / elapsed : null, machineBusy, cores: availableParallelism() };
    },
  };
}
