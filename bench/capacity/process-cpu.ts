import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time from Linux's /proc, in seconds: what a process (and, once reaped, its children) and
 * the whole machine have used. Read from outside the processes, so measuring costs them nothing.
 * USER_HZ is 100 on every Linux this runs on (`getconf CLK_TCK`); /proc reports clock ticks.
 */
const TICKS_PER_SECOND = 100;

export interface ProcessCpu {
  /** utime + stime of every thread of the process. */
  self: number;
  /** cutime + cstime: children it has waited for (a finished k6, once Node has reaped it). */
  reapedChildren: number;
  ppid: number;
  comm: string;
  /** 'Z' for a child that exited and is not reaped yet. */
  state: string;
}

/** Fields of a /proc stat line after the command name, which may itself hold spaces and ')'. */
function statFields(line: string): { comm: string; rest: string[] } {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  return { comm: line.slice(open + 1, close), rest: line.slice(close + 2).trim().split(' ') };
}

function parseStat(line: string): ProcessCpu {
  const { comm, rest } = statFields(line);
  // rest[0] is field 3 (state); utime, stime, cutime, cstime are fields 14-17.
  const field = (n: number): number => Number(rest[n - 3]);
  return { self: (field(14) + field(15)) / TICKS_PER_SECOND, reapedChildren: (field(16) + field(17)) / TICKS_PER_SECOND, ppid: field(4), comm, state: rest[0] ?? '?' };
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A process's CPU, or null once it is gone. */
export function processCpu(pid: number): ProcessCpu | null {
  const line = readOrNull(`/proc/${pid}/stat`);
  return line === null ? null : parseStat(line);
}

/** One thread's CPU (the main thread's id is the process id): Node's event loop runs there. */
export function threadCpu(pid: number, tid: number): number | null {
  const line = readOrNull(`/proc/${pid}/task/${tid}/stat`);
  return line === null ? null : parseStat(line).self;
}

/**
 * The live child of `parent` whose command is `comm` and whose first argument is `subcommand`
 * (k6 run, not the `k6 version` the run asks first when it resolves its tools), if any.
 */
export function findChild(parent: number, comm: string, subcommand: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processCpu(Number(entry));
    if (!stat || stat.ppid !== parent || stat.comm !== comm || stat.state === 'Z') continue;
    const argv = readOrNull(`/proc/${entry}/cmdline`)?.split('\0') ?? [];
    if (argv[1] === subcommand) return Number(entry);
  }
  return null;
}

/** The whole machine: busy and total CPU seconds summed over all cores (/proc/stat's "cpu" line). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle! + iowait!) / TICKS_PER_SECOND };
}
