import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UserFacingError } from '../../../harness/contracts/user-facing-error.ts';
import { ConfigError, formatFieldPath, formatProblem, Problems } from './config-error.ts';
import { locateLine, parseJson, parseYaml, validate } from './source-files.ts';

describe('parseJson', () => {
  it('reports a syntax error with its line and column', () => {
    const problems = new Problems();
    const text = '{\n  "a": 1\n  "b": 2\n}';
    expect(parseJson({ file: 'x.json', text }, problems)).toBeUndefined();
    expect(problems.list).toHaveLength(1);
    expect(problems.list[0]).toMatchObject({ file: 'x.json', line: 3 });
    expect(problems.list[0]?.message).toMatch(/^not valid JSON at column 3: Expected ',' or '}'/);
  });

  it('reports a truncated file at its last line', () => {
    const problems = new Problems();
    parseJson({ file: 'x.json', text: '{\n  "a": [1,\n' }, problems);
    expect(problems.list[0]).toMatchObject({ line: 3, message: 'not valid JSON: Unexpected end of JSON input' });
  });

  it('returns the value of valid JSON', () => {
    const problems = new Problems();
    expect(parseJson({ file: 'x.json', text: '{"a":[1]}' }, problems)?.value).toEqual({ a: [1] });
    expect(problems.count).toBe(0);
  });
});

describe('parseYaml', () => {
  it('reports syntax errors with their line', () => {
    const problems = new Problems();
    expect(parseYaml({ file: 's.yaml', text: 'openapi: 3.0.1\npaths:\n  /a: [1, 2\nnext: 1\n' }, problems)).toBeUndefined();
    expect(problems.list[0]?.file).toBe('s.yaml');
    expect(problems.list[0]?.line).toBeGreaterThanOrEqual(3);
    expect(problems.list[0]?.message).toMatch(/^not valid YAML at column \d+: /);
  });

  it('rejects duplicate keys, which would silently drop an operation', () => {
    const problems = new Problems();
    parseYaml({ file: 's.yaml', text: 'paths:\n  /a: {}\n  /a: {}\n' }, problems);
    expect(problems.list[0]).toMatchObject({ line: 3 });
  });
});

describe('locateLine', () => {
  const text = '{\n  "properties": {\n    "path": "a",\n    "pool": { "services": [\n      { "id": "x" }\n    ] }\n  }\n}\n';

  it('finds a nested field', () => {
    expect(locateLine(text, ['properties', 'path'])).toBe(3);
    expect(locateLine(text, ['properties', 'pool', 'services', 0, 'id'])).toBe(5);
  });

  it('falls back to the nearest enclosing node for a missing field', () => {
    expect(locateLine(text, ['properties', 'displayName'])).toBe(2);
  });
});

describe('validate', () => {
  it('reports each issue with field and line, and says "is required" for a missing field', () => {
    const problems = new Problems();
    const schema = z.object({ properties: z.object({ displayName: z.string(), count: z.int().min(1) }) });
    const text = '{\n  "properties": {\n    "count": 0\n  }\n}';
    expect(validate(schema, { file: 'f.json', text, value: JSON.parse(text) }, problems)).toBeUndefined();
    expect(problems.list).toEqual([
      { file: 'f.json', line: 2, field: 'properties.displayName', message: 'is required' },
      { file: 'f.json', line: 3, field: 'properties.count', message: expect.stringMatching(/>=1/) },
    ]);
  });
});

describe('ConfigError', () => {
  it('is user-facing and lists each problem as file[:line]: field: message', () => {
    const error = new ConfigError('deploy/apim', [
      { file: 'a.json', line: 3, field: 'properties.path', message: 'is required' },
      { file: 'b.json', message: 'missing' },
    ]);
    expect(error).toBeInstanceOf(UserFacingError);
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(2);
    expect(error.message).toBe('invalid APIM configuration in deploy/apim (2 problems):\n  a.json:3: properties.path: is required\n  b.json: missing');
  });

  it('formats paths and single problems', () => {
    expect(formatFieldPath(['properties', 'pool', 'services', 2, 'weight'])).toBe('properties.pool.services[2].weight');
    expect(formatFieldPath([0, 'name'])).toBe('[0].name');
    expect(formatProblem({ file: 'f', field: 'x', message: 'm' })).toBe('f: x: m');
  });
});
