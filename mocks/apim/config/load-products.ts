/**
 * products/<product>/: productInformation.json, an optional apis.json (`[{ "name": "<api>" }]`,
 * the APIs in the product) and an optional policy.xml, as APIOps lays them out. groups.json and
 * tags.json are ignored: the emulator has no developer portal users or groups.
 */
import { join } from 'node:path';
import { productApisSchema, productInformationSchema } from './arm-schemas.ts';
import type { Problems } from './config-error.ts';
import { readOptionalPolicy } from './policy-files.ts';
import { isFile, listDirectories, locateLine, readJsonFile, validate } from './source-files.ts';
import type { ProductConfig } from './types.ts';

function loadProduct(productsDir: string, id: string, apiIds: ReadonlySet<string>, problems: Problems): ProductConfig | undefined {
  const productDir = join(productsDir, id);
  const infoFile = join(productDir, 'productInformation.json');
  if (!isFile(infoFile)) {
    problems.add({ file: infoFile, message: 'missing: each folder under products/ needs a productInformation.json' });
    return undefined;
  }
  const parsed = readJsonFile(infoFile, problems);
  const info = parsed && validate(productInformationSchema, parsed, problems);

  const apis: string[] = [];
  const apisFile = join(productDir, 'apis.json');
  if (isFile(apisFile)) {
    const source = readJsonFile(apisFile, problems);
    const list = source && validate(productApisSchema, source, problems);
    list?.forEach((entry, index) => {
      if (!apiIds.has(entry.name)) {
        const line = locateLine(source?.text ?? '', [index, 'name']);
        problems.add({
          file: apisFile,
          ...(line !== undefined ? { line } : {}),
          field: `[${index}].name`,
          message: `"${entry.name}" is not an API in apis/${apiIds.size > 0 ? ` (known: ${[...apiIds].join(', ')})` : ''}`,
        });
      } else if (!apis.includes(entry.name)) {
        apis.push(entry.name);
      }
    });
  }

  const policy = readOptionalPolicy(join(productDir, 'policy.xml'), 'product', id, problems);
  if (!info) return undefined;
  const product: ProductConfig = {
    id,
    displayName: info.properties.displayName,
    // APIM's default for a new product is subscription required.
    subscriptionRequired: info.properties.subscriptionRequired ?? true,
    apis,
    file: infoFile,
  };
  if (info.properties.state !== undefined) product.state = info.properties.state;
  if (policy) product.policy = policy;
  return product;
}

export function loadProducts(root: string, apiIds: ReadonlySet<string>, problems: Problems): ProductConfig[] {
  const productsDir = join(root, 'products');
  const products: ProductConfig[] = [];
  for (const id of listDirectories(productsDir)) {
    const product = loadProduct(productsDir, id, apiIds, problems);
    if (product) products.push(product);
  }
  return products;
}
