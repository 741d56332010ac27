import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * What runs and what listens, read from Linux's /proc: for tests that end a run in every way
 * it can end and then check that nothing it started is left. A run is started in a session
 * of its own (setsid), so its processes are found by session id, whatever their parent
 * became when the process above them died.
 */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** R, S, D, T, Z (a zombie has ended: it holds no memory, ports or files), ... */
  state: string;
  /** Clock ticks after boot: with the pid, names one process even after its pid is reused. */
  startTime: number;
  /** argv joined with spaces. */
  command: string;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields are counted after the last ')'. */
export function parseStat(pid: number, stat: string): Omit<ProcessEntry, 'command'> {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) pgrp(5) session(6) ... starttime(22).
  return { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), sid: Number(fields[3]), startTime: Number(fields[19]) };
}

export function readProcess(pid: number): ProcessEntry | null {
  try {
    const stat = parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { ...stat, command };
  } catch {
    return null; // it ended while we looked
  }
}

export function allProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProcess(Number(name));
    if (entry) entries.push(entry);
  }
  return entries;
}

/** A process that has not ended: present, not a zombie, and the same process (start time) as `entry`. */
export function stillRunning(entry: Pick<ProcessEntry, 'pid' | 'startTime'>): boolean {
  const now = readProcess(entry.pid);
  return now !== null && now.startTime === entry.startTime && now.state !== 'Z' && now.state !== 'X';
}

/** Inodes of the sockets a process holds open (its fds that link to socket:[inode]). */
export function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.push(match[1]!);
      } catch {
        // closed while we looked
      }
    }
  } catch {
    // the process ended
  }
  return inodes;
}

export interface Listener {
  inode: string;
  port: number;
}

/** Every TCP socket in LISTEN state on the machine (/proc/net/tcp and tcp6), by inode. */
export function tcpListeners(): Listener[] {
  const listeners: Listener[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (fields.length < 10 || fields[3] !== '0A') continue;
      listeners.push({ inode: fields[9]!, port: parseInt(fields[1]!.split(':')[1]!, 16) });
    }
  }
  return listeners;
}

/** The listening sockets the given processes hold. */
export function listenersOf(pids: readonly number[]): Listener[] {
  const held = new Set(pids.flatMap((pid) => socketInodes(pid)));
  return tcpListeners().filter((listener) => held.has(listener.inode));
}
