import { describe, expect, it } from 'vitest';
import { matchApi, matchOperation } from './request-matching.ts';
import type { ApiConfig, OperationConfig } from './types.ts';

function op(id: string, method: string, urlTemplate: string): OperationConfig {
  return { id, method, urlTemplate, templateParameters: [], queryParameters: [] };
}

function api(id: string, path: string, operations: OperationConfig[] = []): ApiConfig {
  return {
    id,
    displayName: id,
    path,
    protocols: ['https'],
    subscriptionRequired: true,
    subscriptionKeyParameterNames: { header: 'api-key', query: 'subscription-key' },
    operations,
    file: `${id}/apiInformation.json`,
    specificationFile: `${id}/specification.yaml`,
  };
}

const openai = api('azure-openai', 'openai', [
  op('ChatCompletions_Create', 'POST', '/deployments/{deployment-id}/chat/completions'),
  op('Completions_Create', 'POST', '/deployments/{deployment-id}/completions'),
  op('embeddings_create', 'POST', '/deployments/{deployment-id}/embeddings'),
]);

describe('matchOperation', () => {
  it('matches the chat completions template and extracts the deployment', () => {
    const match = matchOperation(openai, 'POST', '/deployments/gpt-4o/chat/completions');
    expect(match?.operation.id).toBe('ChatCompletions_Create');
    expect(match?.parameters).toEqual({ 'deployment-id': 'gpt-4o' });
  });

  it('tells completions from chat completions and embeddings', () => {
    expect(matchOperation(openai, 'POST', '/deployments/gpt-4o/completions')?.operation.id).toBe('Completions_Create');
    expect(matchOperation(openai, 'POST', '/deployments/text-embedding-3-small/embeddings')?.operation.id).toBe('embeddings_create');
  });

  it('ignores the query string, a trailing slash and method case', () => {
    const match = matchOperation(openai, 'post', '/deployments/gpt-4o/chat/completions/?api-version=2024-10-21');
    expect(match?.operation.id).toBe('ChatCompletions_Create');
    expect(match?.parameters['deployment-id']).toBe('gpt-4o');
  });

  it('needs the method to match', () => {
    expect(matchOperation(openai, 'GET', '/deployments/gpt-4o/chat/completions')).toBeUndefined();
  });

  it('needs every segment: a parameter never matches an empty or missing segment', () => {
    expect(matchOperation(openai, 'POST', '/deployments//chat/completions')).toBeUndefined();
    expect(matchOperation(openai, 'POST', '/deployments/chat')).toBeUndefined();
    expect(matchOperation(openai, 'POST', '/deployments/gpt-4o/chat/completions/extra')).toBeUndefined();
  });

  it('percent-decodes parameter values and compares literals without case', () => {
    const match = matchOperation(openai, 'POST', '/Deployments/my%20model/Chat/Completions');
    expect(match?.parameters['deployment-id']).toBe('my model');
  });

  it('prefers the template with more literal segments over an earlier, looser one', () => {
    const items = api('items', 'items', [op('ById', 'GET', '/{id}'), op('Latest', 'GET', '/latest')]);
    expect(matchOperation(items, 'GET', '/latest')?.operation.id).toBe('Latest');
    expect(matchOperation(items, 'GET', '/42')?.operation.id).toBe('ById');
  });

  it('keeps the earlier of two equally specific templates', () => {
    const items = api('items', 'items', [op('First', 'GET', '/{a}'), op('Second', 'GET', '/{b}')]);
    expect(matchOperation(items, 'GET', '/x')?.operation.id).toBe('First');
  });

  it('matches a parameter inside a segment and a trailing wildcard', () => {
    const files = api('files', 'files', [op('Json', 'GET', '/{name}.json'), op('Rest', 'GET', '/raw/{*path}'), op('Any', 'POST', '/*')]);
    expect(matchOperation(files, 'GET', '/report.json')?.parameters).toEqual({ name: 'report' });
    expect(matchOperation(files, 'GET', '/raw/a/b/c.txt')?.parameters).toEqual({ path: 'a/b/c.txt' });
    expect(matchOperation(files, 'POST', '/anything/at/all')?.operation.id).toBe('Any');
    expect(matchOperation(files, 'GET', '/report.txt')).toBeUndefined();
  });

  it('matches the root template "/" for the API path itself', () => {
    const orders = api('orders', 'orders', [op('List', 'GET', '/'), op('Get', 'GET', '/{order-id}')]);
    expect(matchOperation(orders, 'GET', '/')?.operation.id).toBe('List');
    expect(matchOperation(orders, 'GET', '')?.operation.id).toBe('List');
    expect(matchOperation(orders, 'GET', '/o-1')?.parameters).toEqual({ 'order-id': 'o-1' });
  });
});

describe('matchApi', () => {
  const apis = [openai, api('openai-v2', 'openai/v2'), api('orders', 'orders'), api('root', '')];

  it('returns the API and the path after its suffix, query kept', () => {
    const match = matchApi(apis, '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(match?.api.id).toBe('azure-openai');
    expect(match?.pathAfterApiPath).toBe('/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
  });

  it('picks the longest matching path', () => {
    expect(matchApi(apis, '/openai/v2/x')?.api.id).toBe('openai-v2');
  });

  it('only matches at a segment boundary', () => {
    expect(matchApi(apis, '/ordersx/1')?.api.id).toBe('root');
    expect(matchApi(apis.slice(0, 3), '/ordersx/1')).toBeUndefined();
  });

  it('matches the API path itself with "/" as the rest, ignoring case', () => {
    expect(matchApi(apis, '/Orders')).toMatchObject({ pathAfterApiPath: '/' });
    expect(matchApi(apis, '/Orders')?.api.id).toBe('orders');
  });
});
