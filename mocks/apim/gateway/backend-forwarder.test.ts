import { describe, expect, it } from 'vitest';
import { fleetUrlMapper } from './backend-forwarder.ts';

describe('fleetUrlMapper', () => {
  const map = fleetUrlMapper(
    new Map([
      ['aoai-eastus-ptu1', 'http://127.0.0.1:18500'],
      // A fleet behind one router (the container): each backend under its own path.
      ['aoai-eastus-payg1', 'https://fleet.example.net/backends/aoai-eastus-payg1/'],
    ]),
  );

  it("sends an Azure OpenAI backend URL to the fleet endpoint of that resource, keeping the request's path and query", () => {
    expect(map(new URL('https://aoai-eastus-ptu1.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21')).href).toBe('http://127.0.0.1:18500/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
  });

  it("keeps the endpoint's own path in front of the request's", () => {
    expect(map(new URL('https://AOAI-EASTUS-PAYG1.openai.azure.com/openai/deployments/gpt-4o/embeddings?api-version=2024-10-21')).href).toBe('https://fleet.example.net/backends/aoai-eastus-payg1/openai/deployments/gpt-4o/embeddings?api-version=2024-10-21');
  });

  it('leaves any other URL alone', () => {
    expect(map(new URL('https://example.net/openai/x')).href).toBe('https://example.net/openai/x');
    expect(map(new URL('https://unknown.openai.azure.com/openai/x')).href).toBe('https://unknown.openai.azure.com/openai/x');
  });
});
