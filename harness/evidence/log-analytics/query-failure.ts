import { UserFacingError } from '../../contracts/user-facing-error.ts';

/**
 * A Log Analytics problem the person running Spillway must act on: a workspace id that is not
 * one, no credential, no access, a workspace without the tables. The message names the
 * workspace and what to check.
 */
export class LogAnalyticsError extends UserFacingError {}

/** The workspace refused a query (400): the message keeps Log Analytics' error, codes and all. */
export class QueryRefusedError extends LogAnalyticsError {
  readonly detail: string;
  constructor(message: string, detail: string) {
    super(message);
    this.detail = detail;
  }
  /** Whether Log Analytics' error names this table (how a table the workspace lacks shows). */
  names(table: string): boolean {
    return this.detail.includes(`'${table}'`) || this.detail.includes(`"${table}"`) || new RegExp(`\\b${table}\\b`).test(this.detail);
  }
}

/** Throttling or server errors outlasted the time there was to retry: the evidence is incomplete, not wrong. */
export class QueryGaveUpError extends LogAnalyticsError {}

/**
 * What went wrong with one query, sorted by what to do about it: `throttled` and `transient`
 * are retried; the others are the person's to fix.
 */
export type QueryFailure =
  | { kind: 'credential'; detail: string }
  | { kind: 'unauthorized'; detail: string }
  | { kind: 'forbidden'; detail: string }
  | { kind: 'not-found'; detail: string }
  | { kind: 'refused'; detail: string }
  | { kind: 'throttled'; detail: string; retryAfterMs: number | null }
  | { kind: 'transient'; detail: string; retryAfterMs: number | null }
  | { kind: 'other'; detail: string };

/** @azure/identity's errors: no credential in the chain could get a token. */
const credentialErrors = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

/** Node's network errors worth another try (the pipeline's own list). */
const networkErrors = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR']);

interface ErrorInfo {
  code?: string;
  message?: string;
  innererror?: ErrorInfo;
  details?: ErrorInfo[];
}

interface RestErrorLike {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
  details?: { error?: ErrorInfo };
  response?: { headers: { get(name: string): string | undefined } };
}

/** Log Analytics' error, its inner errors and details, as `code: message; code: message`. */
export function describeErrorInfo(info: ErrorInfo | undefined): string {
  const parts: string[] = [];
  const walk = (e: ErrorInfo | undefined, depth: number): void => {
    if (!e || depth > 5) return;
    if (e.code || e.message) parts.push([e.code, e.message].filter(Boolean).join(': '));
    for (const detail of e.details ?? []) walk(detail, depth + 1);
    walk(e.innererror, depth + 1);
  };
  walk(info, 0);
  return parts.join('; ');
}

function retryAfterMs(error: RestErrorLike): number | null {
  const headers = error.response?.headers;
  if (!headers) return null;
  for (const [name, unit] of [['retry-after-ms', 1], ['x-ms-retry-after-ms', 1], ['retry-after', 1000]] as const) {
    const value = headers.get(name);
    if (value === undefined || value.trim() === '') continue;
    const number = Number(value);
    if (Number.isFinite(number) && number >= 0) return number * unit;
    const date = Date.parse(value);
    if (name === 'retry-after' && Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return null;
}

/** Sorts an error thrown by LogsQueryClient.queryWorkspace (or by the credential under it). */
export function classifyQueryFailure(error: unknown): QueryFailure {
  if (!(error instanceof Error)) return { kind: 'other', detail: String(error) };
  const e = error as Error & RestErrorLike & { errors?: unknown[] };
  if (credentialErrors.has(e.name)) {
    const inner = Array.isArray(e.errors) ? e.errors.map((x) => (x instanceof Error ? `${x.name}: ${firstLine(x.message)}` : String(x))) : [];
    return { kind: 'credential', detail: inner.length > 0 ? inner.join('; ') : `${e.name}: ${firstLine(e.message)}` };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const info = describeErrorInfo(e.details?.error) || firstLine(e.message);
  const detail = status === undefined ? `${e.code ?? e.name}: ${firstLine(e.message)}` : `${status} ${info}`;
  if (status === undefined) return e.code && networkErrors.has(e.code) ? { kind: 'transient', detail, retryAfterMs: null } : { kind: 'other', detail };
  if (status === 401) return { kind: 'unauthorized', detail };
  if (status === 403) return { kind: 'forbidden', detail };
  if (status === 404) return { kind: 'not-found', detail };
  if (status === 429) return { kind: 'throttled', detail, retryAfterMs: retryAfterMs(e) };
  if (status === 408 || (status >= 500 && status !== 501 && status !== 505)) return { kind: 'transient', detail, retryAfterMs: retryAfterMs(e) };
  if (status === 400) return { kind: 'refused', detail };
  return { kind: 'other', detail };
}

/** The message a person gets for a failure that is theirs to fix (not throttling). */
export function failureMessage(failure: QueryFailure, workspaceId: string, what: string): string {
  const workspace = `Log Analytics workspace ${workspaceId}`;
  switch (failure.kind) {
    case 'credential':
      return (
        `cannot read ${what} from ${workspace}: no Azure credential could get a token for the Log Analytics API (scope https://api.loganalytics.io/.default). ` +
        'Sign in with `az login` (or `azd auth login`), set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, or run where a managed identity is assigned. ' +
        `DefaultAzureCredential said: ${truncate(failure.detail, 900)}`
      );
    case 'unauthorized':
      return `${workspace} did not accept the token Spillway signed in with (${truncate(failure.detail, 300)}) reading ${what}: the identity may belong to another tenant than the workspace's; set AZURE_TENANT_ID to the workspace's tenant, or sign in to it (az login --tenant <tenant>)`;
    case 'forbidden':
      return (
        `the identity Spillway signed in as may not read ${workspace} (${truncate(failure.detail, 300)}) reading ${what}: give it the Log Analytics Reader role on the workspace ` +
        '(az role assignment create --assignee <its object id> --role "Log Analytics Reader" --scope <the workspace\'s resource id>), and check that this is the workspace the API Management diagnostic setting sends to'
      );
    case 'not-found':
      return `there is no ${workspace} (${truncate(failure.detail, 300)}): give its Workspace ID, a GUID shown on the workspace's Overview page (az monitor log-analytics workspace show -g <group> -n <name> --query customerId -o tsv), not its name or resource id`;
    case 'refused':
      return `${workspace} refused Spillway's query for ${what} (${truncate(failure.detail, 600)}): this is a bug in the query Spillway sends; please report it with this message`;
    case 'throttled':
      return `${workspace} kept throttling Spillway's queries (429) for ${what}: ${truncate(failure.detail, 300)}`;
    case 'transient':
      return `${workspace} kept failing Spillway's queries for ${what}: ${truncate(failure.detail, 300)}`;
    case 'other':
      return `reading ${what} from ${workspace} failed: ${truncate(failure.detail, 600)}`;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
