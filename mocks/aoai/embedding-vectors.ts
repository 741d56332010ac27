/**
 * Deterministic embedding vectors: the same input always embeds to the same unit vector,
 * different inputs to different ones, so clients that cache, deduplicate or compare
 * embeddings behave as they would against the real service.
 */
import { createHash } from 'node:crypto';

/** Native output widths (Azure OpenAI model documentation). */
const NATIVE_DIMENSIONS: ReadonlyArray<readonly [modelPrefix: string, dimensions: number]> = [
  ['text-embedding-3-small', 1536],
  ['text-embedding-3-large', 3072],
  ['text-embedding-ada-002', 1536],
];

/**
 * Width for a model the table does not know: 1536 is both ada-002's and 3-small's, the
 * width most clients and vector indexes are configured for.
 */
const FALLBACK_DIMENSIONS = 1536;

function normalizeModelName(model: string): string {
  return model.trim().toLowerCase();
}

/** The number of dimensions a model returns when the request does not shorten it. */
export function embeddingDimensions(model: string): number {
  const name = normalizeModelName(model);
  for (const [prefix, dimensions] of NATIVE_DIMENSIONS) {
    if (name.startsWith(prefix)) return dimensions;
  }
  return FALLBACK_DIMENSIONS;
}

/**
 * Applies the `dimensions` request parameter. Only text-embedding-3 models accept it, with
 * a value from 1 to the native width. The unsupported-model message is the service's own
 * wording; the range message is the mock's, as the service's exact text is not recorded.
 */
export function resolveEmbeddingDimensions(
  model: string,
  requested: number | undefined,
): { ok: true; dimensions: number } | { ok: false; message: string } {
  const native = embeddingDimensions(model);
  if (requested === undefined) return { ok: true, dimensions: native };
  if (!normalizeModelName(model).startsWith('text-embedding-3')) {
    return { ok: false, message: 'This model does not support specifying dimensions.' };
  }
  if (!Number.isInteger(requested) || requested < 1 || requested > native) {
    return { ok: false, message: `Invalid value for 'dimensions' = ${requested}. Must be an integer between 1 and ${native}.` };
  }
  return { ok: true, dimensions: requested };
}

/**
 * xoshiro128** seeded with 128 bits of the input's SHA-256. The 128-bit state (rather than
 * the 32-bit mulberry32 used elsewhere) keeps distinct inputs from colliding onto the same
 * vector in any realistic run; hashing once and then generating is far cheaper than
 * hashing per block for 3072-wide vectors at hundreds of requests per second.
 */
function vectorComponentSource(input: string | number[]): () => number {
  // The prefixes keep the text "1,2" and the token ids [1, 2] apart.
  const material = typeof input === 'string' ? `text\u0000${input}` : `tokens\u0000${input.join(',')}`;
  const digest = createHash('sha256').update(material, 'utf8').digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  // xoshiro is stuck at zero if the whole state is zero.
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const result = Math.imul(rotateLeft(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotateLeft(d, 11);
    // Uniform in [-1, 1).
    return (result / 4294967296) * 2 - 1;
  };
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * A unit-length vector derived from the input. Components come from one generator stream,
 * so a shorter vector is the renormalised prefix of a longer one for the same input, the
 * way text-embedding-3 shortens embeddings when `dimensions` is set.
 */
export function embeddingVector(input: string | number[], dimensions: number): Float32Array {
  if (!Number.isSafeInteger(dimensions) || dimensions < 1) {
    throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
  }
  const nextComponent = vectorComponentSource(input);
  // Normalised in double precision and rounded to float32 once, so the norm stays within ~1e-7 of 1.
  const raw = new Float64Array(dimensions);
  let sumOfSquares = 0;
  for (let i = 0; i < dimensions; i += 1) {
    const component = nextComponent();
    raw[i] = component;
    sumOfSquares += component * component;
  }
  const vector = new Float32Array(dimensions);
  if (sumOfSquares === 0) {
    // Not reachable with a working generator, but a zero vector cannot be normalised.
    vector[0] = 1;
    return vector;
  }
  const norm = Math.sqrt(sumOfSquares);
  for (let i = 0; i < dimensions; i += 1) vector[i] = (raw[i] as number) / norm;
  return vector;
}

/**
 * Float output is rounded to 9 decimal places (within 5e-10 of the float32 value). The real
 * service prints short float32 decimals such as 0.0023064255; printing the widened float32
 * doubles instead would make bodies ~70% larger, and exact shortest-float32 formatting
 * (toPrecision) costs about twice as much CPU per vector as this rounding.
 */
const FLOAT_OUTPUT_SCALE = 1e9;

/**
 * The vector as it goes into the response body.
 *
 * - `float`: numbers rounded to 9 decimal places, see FLOAT_OUTPUT_SCALE.
 * - `base64`: the little-endian float32 bytes, which is what the official openai client
 *   decodes; it asks for base64 by default. Written through a DataView so the byte order
 *   does not depend on the host.
 */
export function encodeEmbedding(vector: Float32Array, format: 'float' | 'base64'): number[] | string {
  if (format === 'float') {
    return Array.from(vector, (component) => Math.round(component * FLOAT_OUTPUT_SCALE) / FLOAT_OUTPUT_SCALE);
  }
  const bytes = new DataView(new ArrayBuffer(vector.length * Float32Array.BYTES_PER_ELEMENT));
  for (let i = 0; i < vector.length; i += 1) {
    bytes.setFloat32(i * Float32Array.BYTES_PER_ELEMENT, vector[i] as number, true);
  }
  return Buffer.from(bytes.buffer).toString('base64');
}
