import type { Random } from './random.ts';

/**
 * Filler prompts: `words` plain English words, which the gateway's and the fleet's tokenizers
 * count at about one token each, so promptWords is also the prompt's size in tokens, roughly.
 * The text is drawn from the request's own random source, so it is repeatable per iteration
 * and differs between requests (no accidental prompt caching; real caching needs 1,024+ tokens).
 */
const vocabulary = [
  'the', 'gateway', 'routes', 'each', 'request', 'to', 'a', 'backend', 'pool', 'with', 'capacity',
  'for', 'tokens', 'per', 'minute', 'and', 'when', 'it', 'is', 'full', 'traffic', 'spills', 'over',
  'into', 'pay', 'as', 'you', 'go', 'while', 'critical', 'work', 'keeps', 'its', 'share', 'of',
  'provisioned', 'throughput', 'please', 'summarise', 'this', 'report', 'about', 'regional', 'failover',
  'latency', 'budget', 'priority', 'quota', 'limit', 'answer', 'briefly', 'in', 'plain', 'words',
  'customer', 'order', 'status', 'invoice', 'shipment', 'weather', 'today', 'tomorrow', 'review',
];

export function fillerPrompt(words: number, random: Random): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(vocabulary[Math.floor(random() * vocabulary.length)] as string);
  return out.join(' ');
}
