import { describe, expect, it } from 'vitest';
import { Problems } from './config-error.ts';
import { operationsFromSpecification, templateParameterNames } from './openapi-operations.ts';
import { parseYaml } from './source-files.ts';

function read(text: string): { operations: ReturnType<typeof operationsFromSpecification>; problems: Problems } {
  const problems = new Problems();
  const source = parseYaml({ file: 'spec.yaml', text }, problems);
  if (!source) throw new Error(problems.list.map((p) => p.message).join('; '));
  return { operations: operationsFromSpecification(source, problems), problems };
}

describe('operationsFromSpecification', () => {
  it('reads method, template and operationId, and required query parameters through $ref', () => {
    const { operations, problems } = read(`openapi: 3.0.1
info: { title: t, version: '1' }
paths:
  /deployments/{deployment-id}/embeddings:
    parameters:
      - { name: trace, in: query, schema: { type: boolean } }
    post:
      operationId: embeddings_create
      parameters:
        - $ref: '#/components/parameters/apiVersion'
        - { name: deployment-id, in: path, required: true, schema: { type: string } }
      responses: { '200': { description: OK } }
components:
  parameters:
    apiVersion: { name: api-version, in: query, required: true, schema: { type: string } }
`);
    expect(problems.count).toBe(0);
    expect(operations).toEqual([
      {
        id: 'embeddings_create',
        method: 'POST',
        urlTemplate: '/deployments/{deployment-id}/embeddings',
        templateParameters: ['deployment-id'],
        queryParameters: [
          { name: 'trace', required: false },
          { name: 'api-version', required: true },
        ],
      },
    ]);
  });

  it('reads Swagger 2.0 documents too', () => {
    const { operations } = read(`swagger: '2.0'
info: { title: t, version: '1' }
paths:
  /a:
    get: { operationId: A_Get, responses: { '200': { description: OK } } }
    delete: { operationId: A_Delete, responses: { '200': { description: OK } } }
`);
    expect(operations.map((o) => `${o.method} ${o.id}`)).toEqual(['GET A_Get', 'DELETE A_Delete']);
  });

  it('reports a missing operationId and a duplicate one with their lines', () => {
    const { operations, problems } = read(`openapi: 3.0.1
info: { title: t, version: '1' }
paths:
  /a:
    get:
      responses: { '200': { description: OK } }
  /b:
    get:
      operationId: Same
  /c:
    get:
      operationId: same
`);
    expect(operations.map((o) => o.id)).toEqual(['Same']);
    expect(problems.list).toEqual([
      { file: 'spec.yaml', line: 6, field: 'paths["/a"].get.operationId', message: expect.stringMatching(/^is required/) },
      { file: 'spec.yaml', line: 12, field: 'paths["/c"].get.operationId', message: '"same" is also the operationId of GET /b' },
    ]);
  });

  it('refuses a document that is not OpenAPI, and paths that are not paths', () => {
    expect(read('title: nothing\n').problems.list[0]?.message).toMatch(/not an OpenAPI 3 or Swagger 2.0 document/);
    expect(read("openapi: 3.0.1\npaths:\n  a: {}\n").problems.list[0]).toMatchObject({ line: 3, field: 'paths["a"]' });
    expect(read('openapi: 3.0.1\n').problems.list[0]).toMatchObject({ field: 'paths', message: expect.stringMatching(/is required/) });
  });
});

describe('templateParameterNames', () => {
  it('lists {name} parameters in order, ignoring any query part', () => {
    expect(templateParameterNames('/a/{x}/b/{y}.json?z={z}')).toEqual(['x', 'y']);
    expect(templateParameterNames('/raw/{*path}')).toEqual(['path']);
  });
});
