/**
 * An API Management service's ARM resource id, as the portal shows it (the service's JSON view,
 * or `az apim show -g <group> -n <name> --query id -o tsv`):
 * `/subscriptions/<subscription GUID>/resourceGroups/<group>/providers/Microsoft.ApiManagement/service/<name>`.
 * ARM compares ids case-insensitively, so the pattern does too.
 */
export const apimResourceIdPattern = /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.ApiManagement\/service\/([a-zA-Z][a-zA-Z0-9-]{0,49})$/i;

export const apimResourceIdHint =
  'must be the API Management service\'s resource id, /subscriptions/<subscription GUID>/resourceGroups/<group>/providers/Microsoft.ApiManagement/service/<name> (az apim show -g <group> -n <name> --query id -o tsv)';

export interface ApimResourceId {
  subscriptionId: string;
  resourceGroup: string;
  serviceName: string;
}

/** The parts of an APIM resource id, or null when the text is not one. */
export function parseApimResourceId(text: string): ApimResourceId | null {
  const match = apimResourceIdPattern.exec(text);
  return match ? { subscriptionId: match[1]!, resourceGroup: match[2]!, serviceName: match[3]! } : null;
}
