/**
 * A Log Analytics workspace is addressed by its Workspace ID (the `customerId`), a GUID: not its
 * name, nor its Azure resource id, which people paste by mistake.
 */
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What is wrong with a workspace id, or null when it is a GUID. */
export function workspaceIdProblem(workspaceId: string): string | null {
  if (guid.test(workspaceId)) return null;
  const shown = workspaceId.length > 80 ? `${workspaceId.slice(0, 77)}...` : workspaceId;
  return `the Log Analytics workspace id "${shown}" is not a GUID: give the workspace's Workspace ID, shown on its Overview page (az monitor log-analytics workspace show -g <group> -n <name> --query customerId -o tsv), not its name or resource id`;
}
