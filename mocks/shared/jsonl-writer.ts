import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** Appends one JSON document per line to a file, creating its folder; flushes on close. */
export class JsonlWriter {
  readonly path: string;
  #stream: WriteStream | null;
  #count = 0;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.#stream = createWriteStream(path, { flags: 'a' });
  }

  get count(): number {
    return this.#count;
  }

  write(row: unknown): void {
    if (!this.#stream) return;
    this.#count++;
    this.#stream.write(`${JSON.stringify(row)}\n`);
  }

  async close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = null;
    if (!stream) return;
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
