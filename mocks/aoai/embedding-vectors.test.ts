import { describe, it, expect } from 'vitest';
import OpenAI from 'openai';
import {
  embeddingDimensions,
  embeddingVector,
  encodeEmbedding,
  resolveEmbeddingDimensions,
} from './embedding-vectors.ts';

function norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i += 1) sum += (vector[i] as number) ** 2;
  return Math.sqrt(sum);
}

function dot(left: ArrayLike<number>, right: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < left.length; i += 1) sum += (left[i] as number) * (right[i] as number);
  return sum;
}

/** Digits after the decimal point in the shortest decimal form of a number, e.g. -0.0123 → 4. */
function decimalPlaces(value: number): number {
  const [mantissa = '', exponent = '0'] = Math.abs(value).toExponential().split('e');
  const mantissaDecimals = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, mantissaDecimals - Number(exponent));
}

describe('embeddingDimensions', () => {
  it.each([
    ['text-embedding-3-small', 1536],
    ['text-embedding-3-large', 3072],
    ['text-embedding-ada-002', 1536],
    ['Text-Embedding-3-Large', 3072],
    ['some-other-embedder', 1536],
  ])('%s has %i native dimensions', (model, expected) => {
    expect(embeddingDimensions(model)).toBe(expected);
  });
});

describe('resolveEmbeddingDimensions', () => {
  it('uses the native width when the request does not ask for one', () => {
    expect(resolveEmbeddingDimensions('text-embedding-3-large', undefined)).toEqual({ ok: true, dimensions: 3072 });
    expect(resolveEmbeddingDimensions('text-embedding-ada-002', undefined)).toEqual({ ok: true, dimensions: 1536 });
  });

  it('accepts 1 up to the native width on text-embedding-3 models', () => {
    expect(resolveEmbeddingDimensions('text-embedding-3-small', 1)).toEqual({ ok: true, dimensions: 1 });
    expect(resolveEmbeddingDimensions('text-embedding-3-small', 512)).toEqual({ ok: true, dimensions: 512 });
    expect(resolveEmbeddingDimensions('text-embedding-3-small', 1536)).toEqual({ ok: true, dimensions: 1536 });
    expect(resolveEmbeddingDimensions('text-embedding-3-large', 3072)).toEqual({ ok: true, dimensions: 3072 });
  });

  it('rejects widths outside 1..native and non-integers', () => {
    for (const [model, requested] of [
      ['text-embedding-3-small', 0],
      ['text-embedding-3-small', 1537],
      ['text-embedding-3-large', 3073],
      ['text-embedding-3-large', 256.5],
      ['text-embedding-3-large', -3],
    ] as const) {
      const result = resolveEmbeddingDimensions(model, requested);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(`= ${requested}.`);
    }
  });

  it('rejects the parameter on ada-002, even at its native width', () => {
    expect(resolveEmbeddingDimensions('text-embedding-ada-002', 1536)).toEqual({
      ok: false,
      message: 'This model does not support specifying dimensions.',
    });
  });
});

describe('embeddingVector', () => {
  it('has the requested length and unit norm', () => {
    for (const dimensions of [1, 2, 256, 1536, 3072]) {
      const vector = embeddingVector('The quick brown fox', dimensions);
      expect(vector).toHaveLength(dimensions);
      expect(Math.abs(norm(vector) - 1)).toBeLessThan(1e-6);
    }
  });

  it('is deterministic for the same input', () => {
    expect(embeddingVector('hello', 1536)).toEqual(embeddingVector('hello', 1536));
    expect(embeddingVector([9906, 1917], 64)).toEqual(embeddingVector([9906, 1917], 64));
  });

  it('gives different inputs nearly orthogonal vectors', () => {
    const inputs: Array<string | number[]> = ['hello', 'hello ', 'Hello', '', '1,2', [1, 2], [2, 1]];
    const vectors = inputs.map((input) => embeddingVector(input, 1536));
    for (let i = 0; i < vectors.length; i += 1) {
      for (let j = i + 1; j < vectors.length; j += 1) {
        // Independent random directions in 1536 dimensions have cosine ~ N(0, 1/sqrt(1536) ≈ 0.026).
        expect(Math.abs(dot(vectors[i] as Float32Array, vectors[j] as Float32Array))).toBeLessThan(0.2);
      }
    }
  });

  it('shortens like text-embedding-3: a short vector is the renormalised prefix of a long one', () => {
    const long = embeddingVector('shorten me', 3072);
    const short = embeddingVector('shorten me', 256);
    const prefix = long.subarray(0, 256);
    const prefixNorm = norm(prefix);
    for (let i = 0; i < 256; i += 1) {
      expect(short[i] as number).toBeCloseTo((prefix[i] as number) / prefixNorm, 6);
    }
  });

  it('rejects impossible widths', () => {
    expect(() => embeddingVector('x', 0)).toThrow(RangeError);
    expect(() => embeddingVector('x', 1.5)).toThrow(RangeError);
  });
});

describe('encodeEmbedding', () => {
  const vector = embeddingVector('encode me', 1536);

  it('float: the components rounded to 9 decimal places', () => {
    const encoded = encodeEmbedding(vector, 'float');
    expect(Array.isArray(encoded)).toBe(true);
    const parsed = JSON.parse(JSON.stringify(encoded)) as number[];
    expect(parsed).toHaveLength(1536);
    parsed.forEach((component, index) => {
      expect(Math.abs(component - (vector[index] as number))).toBeLessThanOrEqual(5e-10 + 1e-15);
      expect(decimalPlaces(component)).toBeLessThanOrEqual(9);
    });
    expect(Math.abs(norm(parsed) - 1)).toBeLessThan(1e-6);
    // float32(0.1) = 0.100000001490116…; 2^-20 = 0.00000095367431640625.
    expect(encodeEmbedding(new Float32Array([0.25, -0.5, 0.1, 2 ** -20]), 'float')).toEqual([0.25, -0.5, 0.100000001, 0.000000954]);
  });

  it('base64: the little-endian float32 bytes', () => {
    const encoded = encodeEmbedding(new Float32Array([1, -2, 0.5]), 'base64');
    // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0, 0.5f = 00 00 00 3f (IEEE 754, little-endian).
    expect(Buffer.from(encoded as string, 'base64').toString('hex')).toBe('0000803f000000c00000003f');
  });

  it('base64: decodes back to the same float array', () => {
    const encoded = encodeEmbedding(vector, 'base64') as string;
    const bytes = Buffer.from(encoded, 'base64');
    expect(bytes.length).toBe(1536 * 4);
    const decoded = new Float32Array(1536);
    for (let i = 0; i < 1536; i += 1) decoded[i] = bytes.readFloatLE(i * 4);
    expect(decoded).toEqual(vector);
  });

  it('base64: the official openai client asks for base64 by default and decodes it to the same values', async () => {
    let requestedFormat: unknown;
    const client = new OpenAI({
      apiKey: 'test-key',
      baseURL: 'http://mock.invalid/v1',
      maxRetries: 0,
      fetch: async (_url, init) => {
        requestedFormat = (JSON.parse(String(init?.body)) as { encoding_format?: unknown }).encoding_format;
        const body = {
          object: 'list',
          model: 'text-embedding-3-small',
          data: [{ object: 'embedding', index: 0, embedding: encodeEmbedding(vector, 'base64') }],
          usage: { prompt_tokens: 2, total_tokens: 2 },
        };
        return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    const response = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'encode me' });
    expect(requestedFormat).toBe('base64');
    const embedding = response.data[0]?.embedding;
    expect(embedding).toHaveLength(1536);
    expect(Float32Array.from(embedding ?? [])).toEqual(vector);
  });
});
