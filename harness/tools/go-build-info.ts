import { open } from 'node:fs/promises';

/**
 * Reads the module versions a Go binary was built from, the same record `go version -m`
 * prints, straight from the file's bytes so no Go toolchain is needed. It is how a binary
 * whose own version output is missing or just `git` (Toxiproxy built with `go install`)
 * is still checked rather than assumed.
 *
 * Since Go 1.18 the linker writes a header starting with `\xff Go buildinf:` followed by the
 * Go version and the module info as length-prefixed strings. Older binaries keep pointers
 * instead; for them (and anything the header parse misses) the file is scanned for the
 * module's `mod`/`dep` line, which is plain text in every Go binary's data.
 */

const buildInfoMagic = Buffer.from('\xff Go buildinf:', 'latin1');
const headerSize = 32;
/** Flag bit meaning the strings follow the header inline (Go 1.18+). */
const flagInlineStrings = 0x2;
const chunkSize = 1 << 20;
/** Module info is tens of KB even for k6; anything bigger is not a real header. */
const maxStringLength = 4 << 20;

export interface GoModuleVersion {
  /** `mod` for the main module, `dep` for a dependency. */
  readonly kind: 'mod' | 'dep';
  readonly version: string;
  /** Present when a `replace` directive swapped the module's source. */
  readonly replacement?: { readonly path: string; readonly version: string };
}

export interface GoBuildInfo {
  /** Empty when it came from the fallback scan, which cannot see it. */
  readonly goVersion: string;
  readonly modInfo: string;
}

/** Decodes an unsigned LEB128 varint, as encoding/binary.Uvarint does. */
function readUvarint(bytes: Uint8Array, start: number): { value: number; next: number } | undefined {
  let value = 0;
  let multiplier = 1;
  for (let index = start; index < bytes.length && index < start + 10; index++) {
    const byte = bytes[index] as number;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, next: index + 1 };
    multiplier *= 128;
  }
  return undefined;
}

/**
 * Parses a build-info header at the start of `bytes` (the magic included). Returns undefined
 * for the pre-1.18 pointer layout or anything that does not decode.
 */
export function parseBuildInfoHeader(bytes: Uint8Array): GoBuildInfo | undefined {
  if (bytes.length < headerSize) return undefined;
  if (!Buffer.from(bytes.subarray(0, buildInfoMagic.length)).equals(buildInfoMagic)) return undefined;
  const flags = bytes[buildInfoMagic.length + 1] as number;
  if ((flags & flagInlineStrings) === 0) return undefined;
  const versionLength = readUvarint(bytes, headerSize);
  if (!versionLength || versionLength.value > maxStringLength) return undefined;
  const versionEnd = versionLength.next + versionLength.value;
  const modLength = readUvarint(bytes, versionEnd);
  if (!modLength || modLength.value > maxStringLength) return undefined;
  const modEnd = modLength.next + modLength.value;
  if (modEnd > bytes.length) return undefined;
  const goVersion = Buffer.from(bytes.subarray(versionLength.next, versionEnd)).toString('utf8');
  let modInfo = Buffer.from(bytes.subarray(modLength.next, modEnd)).toString('latin1');
  // The linker wraps the text in 16-byte sentinels; debug/buildinfo strips them this way.
  if (modInfo.length >= 33 && modInfo[modInfo.length - 17] === '\n') modInfo = modInfo.slice(16, -16);
  if (!goVersion.startsWith('go') && !goVersion.startsWith('devel')) return undefined;
  return { goVersion, modInfo: Buffer.from(modInfo, 'latin1').toString('utf8') };
}

/**
 * Finds `modulePath` in module info text (`path`, `mod`, `dep` and `=>` lines, tab
 * separated). A replaced module reports the replacement, because that is the code built in.
 */
export function findModuleVersion(modInfo: string, modulePath: string): GoModuleVersion | undefined {
  const lines = modInfo.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const fields = (lines[index] as string).split('\t');
    const [kind, path, version] = fields;
    if ((kind !== 'mod' && kind !== 'dep') || path !== modulePath || version === undefined) continue;
    const next = lines[index + 1]?.split('\t');
    if (next?.[0] === '=>') {
      // A directory replacement has no version; Go itself calls such code `(devel)`.
      return { kind, version, replacement: { path: next[1] ?? '', version: next[2] || '(devel)' } };
    }
    return { kind, version };
  }
  return undefined;
}

/**
 * Calls `onMatch` with the absolute offset of each occurrence of `needle` in the file, in
 * order, until it returns something. Reads in chunks so a 60 MB k6 is never held whole.
 */
async function scanFile<T>(
  file: string,
  needle: Uint8Array,
  onMatch: (offset: number, read: (position: number, length: number) => Promise<Buffer>) => Promise<T | undefined>,
): Promise<T | undefined> {
  const handle = await open(file, 'r');
  try {
    const read = async (position: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    const overlap = needle.length - 1;
    let position = 0;
    let carry = Buffer.alloc(0);
    for (;;) {
      const chunk = await read(position, chunkSize);
      if (chunk.length === 0) return undefined;
      const window = Buffer.concat([carry, chunk]);
      const windowStart = position - carry.length;
      let from = 0;
      for (;;) {
        const hit = window.indexOf(needle, from);
        if (hit < 0) break;
        const result = await onMatch(windowStart + hit, read);
        if (result !== undefined) return result;
        from = hit + 1;
      }
      // Keep the last bytes so a needle split across two chunks is still found.
      carry = Buffer.from(window.subarray(Math.max(0, window.length - overlap)));
      position += chunk.length;
    }
  } finally {
    await handle.close();
  }
}

/** Reads the build-info header of a Go 1.18+ binary, or undefined when there is none. */
export async function readGoBuildInfo(file: string): Promise<GoBuildInfo | undefined> {
  return scanFile(file, buildInfoMagic, async (offset, read) => {
    // The magic may also appear as a constant inside programs that read build info;
    // only a header that decodes counts.
    const head = await read(offset, headerSize + 20);
    const versionLength = readUvarint(head, headerSize);
    if (!versionLength) return undefined;
    const afterVersion = versionLength.next + versionLength.value;
    const lengthBytes = await read(offset + afterVersion, 10);
    const modLength = readUvarint(lengthBytes, 0);
    if (!modLength || modLength.value > maxStringLength || versionLength.value > maxStringLength) return undefined;
    const total = afterVersion + modLength.next + modLength.value;
    return parseBuildInfoHeader(await read(offset, total));
  });
}

/**
 * The version of `modulePath` built into the Go binary at `file` (without a leading `v`
 * when it is a release version), or undefined when the file records none.
 */
export async function readGoModuleVersion(file: string, modulePath: string): Promise<GoModuleVersion | undefined> {
  const info = await readGoBuildInfo(file);
  if (info) {
    const found = findModuleVersion(info.modInfo, modulePath);
    if (found) return found;
  }
  // No usable header: look for the module's line as raw text.
  for (const kind of ['mod', 'dep'] as const) {
    const needle = Buffer.from(`${kind}\t${modulePath}\t`, 'utf8');
    const found = await scanFile(file, needle, async (offset, read) => {
      const text = (await read(offset, 4096)).toString('utf8');
      // A line of the module info ends at the next newline; bound the look-ahead to two
      // lines so a following `=>` replacement line is seen.
      const lines = text.split('\n').slice(0, 2).join('\n');
      const candidate = findModuleVersion(lines, modulePath);
      return candidate && /^v\d|^\(devel\)$/.test(candidate.version) ? candidate : undefined;
    });
    if (found) return found;
  }
  return undefined;
}

/** Strips the `v` Go puts on module versions so they compare with the pinned versions. */
export function plainVersion(moduleVersion: string): string {
  return /^v\d/.test(moduleVersion) ? moduleVersion.slice(1) : moduleVersion;
}

/** The effective version of a module as a plain string: the replacement's when replaced. */
export function effectiveModuleVersion(found: GoModuleVersion): string {
  return plainVersion(found.replacement ? found.replacement.version : found.version);
}
