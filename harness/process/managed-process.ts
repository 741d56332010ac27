import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { parentDeathSignal } from '../run/parent-death-signal.ts';

/**
 * A child process the harness starts, and then kills, pauses and restarts for real (a `process`
 * step). It is started through `setpriv --pdeathsig SIGKILL` (parent-death-signal.ts), so it
 * dies with the harness however the harness ends; it is ready once it prints a JSON line with
 * `"ready": true` on stdout (what it says there is kept as `ready`). Its stderr, and its stdout
 * after that line, go to `logFile`, appended across restarts, with a line at each start and end.
 */
export interface ManagedProcessSpec {
  /** For messages: "gateway East US". */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** How long it may take to print its ready line; default 20 s. */
  readyTimeoutMs?: number;
  /** Which stdout line (parsed JSON) says it is ready; default one with `"ready": true`. */
  readyWhen?: (line: Record<string, unknown>) => boolean;
}

export type ReadyLine = Record<string, unknown>;

export class ManagedProcess {
  readonly spec: ManagedProcessSpec;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #paused = false;
  #log: WriteStream;
  ready: ReadyLine | null = null;

  constructor(spec: ManagedProcessSpec) {
    this.spec = spec;
    mkdirSync(dirname(spec.logFile), { recursive: true });
    this.#log = createWriteStream(spec.logFile, { flags: 'a' });
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Starts it and waits for its ready line; rejects (with what it printed) when it exits first or takes too long. */
  async start(): Promise<ReadyLine> {
    if (this.#child) throw new Error(`${this.spec.name} is already running (pid ${this.#child.pid})`);
    const wrapped = parentDeathSignal().wrap(this.spec.command, this.spec.args);
    const child = spawn(wrapped.command, wrapped.args, { env: this.spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#paused = false;
    this.#note(`started pid ${child.pid}`);
    const stderrTail: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#log.write(chunk);
      stderrTail.push(chunk.toString());
      if (stderrTail.length > 20) stderrTail.shift();
    });
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#note(`pid ${child.pid} exited (${signal ?? `code ${code}`})`);
        if (this.#child === child) this.#child = null;
        resolve();
      });
    });
    const lines = createInterface({ input: child.stdout! });
    try {
      this.ready = await new Promise<ReadyLine>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${this.spec.name} did not say it was ready within ${(this.spec.readyTimeoutMs ?? 20_000) / 1000} s`)), this.spec.readyTimeoutMs ?? 20_000);
        lines.on('line', (line) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            this.#log.write(`${line}\n`);
            return;
          }
          const readyWhen = this.spec.readyWhen ?? ((json) => json.ready === true);
          if (parsed && typeof parsed === 'object' && readyWhen(parsed as Record<string, unknown>)) {
            clearTimeout(timer);
            resolve(parsed as ReadyLine);
          } else this.#log.write(`${line}\n`);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${this.spec.name} exited (${signal ?? `code ${code}`}) before it was ready: ${stderrTail.join('').trim().split('\n').slice(-5).join(' | ') || 'it printed nothing'}`));
        });
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
    } catch (error) {
      await this.kill();
      throw error;
    }
    return this.ready;
  }

  /** SIGKILL, and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGSTOP: it keeps its port and its connections, and answers nothing until resumed. */
  pause(): void {
    if (!this.#child) throw new Error(`${this.spec.name} is not running: it cannot be paused`);
    this.#child.kill('SIGSTOP');
    this.#paused = true;
  }

  /** SIGCONT. */
  resume(): void {
    if (!this.#child) throw new Error(`${this.spec.name} is not running: it cannot be resumed`);
    this.#child.kill('SIGCONT');
    this.#paused = false;
  }

  /** SIGTERM (after SIGCONT, when paused: a stopped process cannot act on it), SIGKILL after `graceMs`; waits until it is gone. */
  async terminate(graceMs = 5000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    if (this.#paused) this.resume();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** SIGTERM, then a new process at once. */
  async restart(): Promise<ReadyLine> {
    await this.terminate();
    return this.start();
  }

  /** Stops it for good (SIGTERM, then SIGKILL) and closes its log. */
  async close(): Promise<void> {
    await this.terminate();
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  #note(what: string): void {
    this.#log.write(`--- ${new Date().toISOString()} ${this.spec.name}: ${what}\n`);
  }
}
