/**
 * The `api-version` values Azure OpenAI's data-plane inference API (chat completions,
 * completions, embeddings on /openai/deployments/...) has been published under: the version
 * folders of Azure/azure-rest-api-specs,
 * specification/cognitiveservices/data-plane/AzureOpenAI/inference/{stable,preview}, and the
 * preview lifecycle page (learn.microsoft.com/azure/ai-services/openai/api-version-deprecation).
 *
 * Azure answers a version it does not serve on these paths as it answers a missing one: 404
 * `{"error":{"code":"404","message":"Resource not found"}}` (reports of exactly that body for a
 * wrong version: microsoft/azurechat#426, CherryHQ/cherry-studio#8077,
 * ballerina-platform/ballerina-library#8373). The 400 "API version not supported" body belongs
 * to the newer /openai/v1 routes (openai/codex#3725), which the fleet does not serve.
 *
 * Our choice: previews Azure has since retired are still accepted. Which previews a given
 * resource still serves changes month by month and differs by region; refusing them would make
 * the fleet stricter than some real resources, while a made-up version (`1999-01-01`,
 * `2024-13-45`) is refused by every one of them.
 */
export const servedApiVersions: ReadonlySet<string> = new Set([
  // Generally available.
  '2022-12-01',
  '2023-05-15',
  '2024-02-01',
  '2024-06-01',
  '2024-10-21',
  // Previews.
  '2022-03-01-preview',
  '2022-06-01-preview',
  '2023-03-15-preview',
  '2023-06-01-preview',
  '2023-07-01-preview',
  '2023-08-01-preview',
  '2023-09-01-preview',
  '2023-10-01-preview',
  '2023-12-01-preview',
  '2024-02-15-preview',
  '2024-03-01-preview',
  '2024-04-01-preview',
  '2024-05-01-preview',
  '2024-07-01-preview',
  '2024-08-01-preview',
  '2024-09-01-preview',
  '2024-10-01-preview',
  '2024-12-01-preview',
  '2025-01-01-preview',
  '2025-02-01-preview',
  '2025-03-01-preview',
  '2025-04-01-preview',
]);

export function isServedApiVersion(value: string): boolean {
  return servedApiVersions.has(value);
}
