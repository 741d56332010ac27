/**
 * Helpers for the config tests: small artifact folders written to a temporary directory, and
 * a reader that turns APIM policy text into elements for checking the sample's policies.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SaxesParser } from 'saxes';

/** Relative path → file content; objects are written as JSON. */
export type Tree = Record<string, string | object>;

const created: string[] = [];

export function writeTree(tree: Tree): string {
  const root = mkdtempSync(join(tmpdir(), 'spillway-apim-config-'));
  created.push(root);
  for (const [path, content] of Object.entries(tree)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  return root;
}

export function removeTrees(): void {
  for (const root of created.splice(0)) rmSync(root, { recursive: true, force: true });
}

export const MINIMAL_SPEC = `openapi: 3.0.1
info:
  title: A1
  version: '1'
paths:
  /items/{item-id}:
    get:
      operationId: Items_Get
      parameters:
        - name: item-id
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: OK
`;

export function singleBackend(url: string, rules?: object[]): object {
  return { properties: { type: 'Single', url, ...(rules ? { circuitBreaker: { rules } } : {}) } };
}

export function poolBackend(services: object[]): object {
  return { properties: { type: 'Pool', pool: { services } } };
}

export const SEED_RULE = {
  name: 'seed',
  failureCondition: { count: 3, interval: 'PT10S', statusCodeRanges: [{ min: 429, max: 429 }, { min: 500, max: 599 }] },
  tripDuration: 'PT30S',
  acceptRetryAfter: true,
};

/** A valid folder: one API, one product, two backends in a pool, one subscription, one region. */
export function minimalTree(): Tree {
  return {
    'emulator.json': {
      regions: [{ name: 'East US' }],
      subscriptions: [{ id: 's1', scope: 'product:p1', primaryKey: 'local-k1' }],
    },
    'apis/a1/apiInformation.json': { properties: { displayName: 'A1', path: 'a1' } },
    'apis/a1/specification.yaml': MINIMAL_SPEC,
    'products/p1/productInformation.json': { properties: { displayName: 'P1' } },
    'products/p1/apis.json': [{ name: 'a1' }],
    'backends/b1/backendInformation.json': singleBackend('https://b1.openai.azure.com/openai', [SEED_RULE]),
    'backends/b2/backendInformation.json': singleBackend('https://b2.openai.azure.com/openai'),
    'backends/pool1/backendInformation.json': poolBackend([
      { id: '/backends/b1', priority: 1, weight: 50 },
      { id: '/backends/b2', priority: 2, weight: 50 },
    ]),
  };
}

// APIM accepts C# inside attribute values and element text without XML escaping
// (`condition="@("East US".Equals(x))"`, `GetValueOrDefault<string>(…)`): it finds the end of
// each expression by its brackets before parsing the XML. This does the same so a standard XML
// parser can read the policies.

function skipString(text: string, start: number, verbatim: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (verbatim && c === '"') {
      if (text[i + 1] === '"') {
        i += 2;
        continue;
      }
      return i + 1;
    }
    if (!verbatim && c === '\\') {
      i += 2;
      continue;
    }
    if (!verbatim && c === '"') return i + 1;
    i++;
  }
  return i;
}

/** Index just past the bracket that closes the one at `open`. */
function expressionEnd(text: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      i = skipString(text, i, text[i - 1] === '@');
      continue;
    }
    if (c === "'") {
      i = text[i + 1] === '\\' ? text.indexOf("'", i + 3) + 1 : i + 3;
      continue;
    }
    if (c === '(' || c === '{' || c === '[') depth++;
    if (c === ')' || c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return text.length;
}

function startsValue(text: string, at: number): boolean {
  const before = text.slice(0, at).trimEnd();
  return before.endsWith('>') || /=\s*["']$/.test(text.slice(0, at));
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapePolicyExpressions(xml: string): string {
  let out = '';
  let i = 0;
  while (i < xml.length) {
    if (xml[i] === '@' && (xml[i + 1] === '(' || xml[i + 1] === '{') && startsValue(xml, i)) {
      const end = expressionEnd(xml, i + 1);
      out += xml.slice(i, end).replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
      i = end;
      continue;
    }
    out += xml[i];
    i++;
  }
  return out;
}

export interface PolicyElement {
  name: string;
  attributes: Record<string, string>;
  /** Direct text content, trimmed. */
  text: string;
  children: PolicyElement[];
}

/** The document's root element. Throws on XML that is not well formed. */
export function parsePolicy(xml: string): PolicyElement {
  const parser = new SaxesParser();
  const stack: PolicyElement[] = [];
  let root: PolicyElement | undefined;
  parser.on('opentag', (tag) => {
    // Without the xmlns option saxes gives attribute values as plain strings.
    const attributes: Record<string, string> = { ...tag.attributes };
    const element: PolicyElement = { name: tag.name, attributes, text: '', children: [] };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('text', (text) => {
    const top = stack[stack.length - 1];
    if (top) top.text += text;
  });
  parser.on('closetag', () => {
    const top = stack.pop();
    if (top) top.text = top.text.trim();
  });
  parser.on('error', (error) => {
    throw error;
  });
  parser.write(escapePolicyExpressions(xml)).close();
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element of the tree, in document order. */
export function allElements(root: PolicyElement): PolicyElement[] {
  return [root, ...root.children.flatMap(allElements)];
}
