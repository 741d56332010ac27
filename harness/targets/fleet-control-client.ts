import { z } from 'zod';
import { faultRuleSchema, type FaultRequest, type FaultRule } from '../contracts/fault-rule.ts';
import { fleetDescriptionSchema, type FleetDescription } from '../contracts/fleet-description.ts';
import { ledgerRecordSchema, type LedgerRecord } from '../contracts/ledger-record.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { controlTokenFrom, controlTokenVariable } from './controlled-fleet.ts';

/**
 * A typed client for a mock fleet's control API (docs/fleet.md, mocks/aoai/control-handlers.ts),
 * for a run that drives a fleet it did not start, possibly on another host: the fleet's
 * description, fault rules in and out, and the ledger page by page. Every answer is checked
 * against its contract before it is handed on, so a fleet of another shape fails here, naming
 * the call and the field, instead of being misread later.
 *
 * The control token (SPILLWAY_CONTROL_TOKEN) goes in the Authorization header and nowhere else:
 * no error message, log line or property of the client carries it.
 */

/** Why a call to the control API failed, written for the person running Spillway. */
export class FleetControlError extends UserFacingError {
  /**
   * True when the control API did not answer (refused, reset, timed out) or answered 5xx: the
   * same call may work a moment later. False for an answer that will not change (a refused
   * token, a fault rule the fleet rejects, a body of the wrong shape).
   */
  readonly retryable: boolean;
  /** The HTTP status the control API answered, or null when it did not answer. */
  readonly status: number | null;

  constructor(message: string, details: { retryable: boolean; status: number | null }, options?: ErrorOptions) {
    super(message, options);
    this.retryable = details.retryable;
    this.status = details.status;
  }
}

/** One page of the fleet's ledger (`GET /ledger`), every record checked against the ledger contract. */
export interface LedgerPage {
  /** Records with seq greater than the `after` asked for, oldest first. */
  records: LedgerRecord[];
  /** Pass as `after` to read on. */
  next: number;
  /** True when records after `after` had already left the fleet's in-memory window: they are lost to this reader. */
  truncated: boolean;
  /** The newest seq the fleet's ledger has numbered (0 before any record). */
  last: number;
}

/** The most records one `GET /ledger` returns (the control API refuses more). */
export const maxLedgerPageSize = 10_000;

export interface FleetControlClientOptions {
  /** The control API's origin, as the fleet describes it (`control` in `fleet up --json`). */
  control: string;
  /** The fleet's control token, when it was started with one; sent as `Authorization: Bearer`. */
  token?: string | undefined;
  /** How long one call may take before it counts as unanswered; default 10 s. */
  timeoutMs?: number;
}

const seqSchema = z.int().min(0);
/** The page as it travels; the records are checked one by one after (so an error can name the record). */
const ledgerPageWireSchema = z.strictObject({ records: z.array(z.unknown()), next: seqSchema, truncated: z.boolean(), last: seqSchema });
const faultListSchema = z.strictObject({ faults: z.array(faultRuleSchema) });
const clearedSchema = z.strictObject({ cleared: z.int().min(0) });
const problemBodySchema = z.object({ error: z.string(), problems: z.array(z.string()).optional() });

export class FleetControlClient {
  /** The control API's origin, without a trailing slash. */
  readonly control: string;
  readonly #authorization: string | null;
  readonly #timeoutMs: number;

  constructor(options: FleetControlClientOptions) {
    this.control = options.control.replace(/\/+$/, '');
    this.#authorization = options.token ? `Bearer ${options.token}` : null;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** A client for the fleet a description names, with the token SPILLWAY_CONTROL_TOKEN holds in `env`. */
  static for(description: Pick<FleetDescription, 'control'>, env: NodeJS.ProcessEnv = process.env, options: { timeoutMs?: number } = {}): FleetControlClient {
    return new FleetControlClient({ control: description.control, token: controlTokenFrom(env), ...options });
  }

  /** Resolves when the control API answers `GET /health`; rejects with a FleetControlError saying why not. */
  async health(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.#call('GET', '/health', { expect: [200], timeoutMs: options.timeoutMs });
  }

  /** The fleet's own description (`GET /fleet`), as `fleet up --json` printed it. */
  async describe(): Promise<FleetDescription> {
    return this.#parse('GET /fleet', fleetDescriptionSchema, (await this.#call('GET', '/fleet', { expect: [200] })).body);
  }

  /** The fault rules in force. */
  async listFaults(): Promise<FaultRule[]> {
    return this.#parse('GET /faults', faultListSchema, (await this.#call('GET', '/faults', { expect: [200] })).body).faults;
  }

  /**
   * Injects a fault rule and resolves to the rule as the fleet holds it (with its id, for
   * clearFault). A rule the fleet refuses rejects with one message naming every field at fault.
   */
  async injectFault(request: FaultRequest): Promise<FaultRule> {
    const answer = await this.#call('POST', '/faults', { expect: [201, 400], body: request });
    if (answer.status === 400) {
      const problem = problemBodySchema.safeParse(answer.body);
      const what = request.label ? `the fault rule "${request.label}"` : `the ${String(request.kind)} fault rule`;
      const why = problem.success ? (problem.data.problems?.length ? problem.data.problems.join('; ') : problem.data.error) : JSON.stringify(answer.body);
      throw new FleetControlError(`the fleet at ${this.control} refused ${what}: ${why}`, { retryable: false, status: 400 });
    }
    return this.#parse('POST /faults', faultRuleSchema, answer.body);
  }

  /**
   * Clears one rule. Resolves true when the fleet held it, false when it did not (it expired,
   * or was cleared already): for a rollback both mean the fault is gone.
   */
  async clearFault(id: string): Promise<boolean> {
    const answer = await this.#call('DELETE', `/faults/${encodeURIComponent(id)}`, { expect: [204, 404] });
    return answer.status === 204;
  }

  /** Clears every rule, or those aimed at a backend or a region; resolves to how many were cleared. */
  async clearFaults(filter: { backend?: string; region?: string } = {}): Promise<number> {
    const query = new URLSearchParams();
    if (filter.backend !== undefined) query.set('backend', filter.backend);
    if (filter.region !== undefined) query.set('region', filter.region);
    const path = `/faults${query.size > 0 ? `?${query.toString()}` : ''}`;
    return this.#parse(`DELETE ${path}`, clearedSchema, (await this.#call('DELETE', path, { expect: [200] })).body).cleared;
  }

  /** Ledger records with seq greater than `after`, at most `limit` (0 to 10,000; 0 reads only where the ledger ends). */
  async readLedger(after: number, limit = 1000): Promise<LedgerPage> {
    if (!Number.isInteger(after) || after < 0) throw new RangeError(`readLedger: after must be an integer >= 0, not ${after}`);
    if (!Number.isInteger(limit) || limit < 0 || limit > maxLedgerPageSize) throw new RangeError(`readLedger: limit must be an integer from 0 to ${maxLedgerPageSize}, not ${limit}`);
    const path = `/ledger?after=${after}&limit=${limit}`;
    const page = this.#parse(`GET ${path}`, ledgerPageWireSchema, (await this.#call('GET', path, { expect: [200] })).body);
    const records = page.records.map((raw, index) => {
      const parsed = ledgerRecordSchema.safeParse(raw);
      if (parsed.success) return parsed.data;
      const seq = (raw as { seq?: unknown } | null)?.seq;
      throw new FleetControlError(
        `the fleet at ${this.control} answered GET ${path} with a record that is not a ledger record (record ${index + 1}${typeof seq === 'number' ? `, seq ${seq}` : ''}): ${describeIssues(parsed.error.issues)}`,
        { retryable: false, status: 200 },
      );
    });
    return { records, next: page.next, truncated: page.truncated, last: page.last };
  }

  /** The newest seq the fleet's ledger has numbered (0 before any record), without reading a record. */
  async latestSeq(): Promise<number> {
    return (await this.readLedger(0, 0)).last;
  }

  #parse<T>(call: string, schema: z.ZodType<T>, body: unknown): T {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new FleetControlError(`the fleet at ${this.control} answered ${call} with an unexpected body (is it a Spillway fleet of this version?): ${describeIssues(parsed.error.issues)}`, { retryable: false, status: 200 });
  }

  /** One call; rejects with a FleetControlError unless the status is one of `expect`. */
  async #call(method: string, path: string, options: { expect: number[]; body?: unknown; timeoutMs?: number | undefined }): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {};
    if (this.#authorization) headers.authorization = this.#authorization;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const call = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.control}${path}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        // The control API never redirects: one that does is not the fleet, and the token must not follow it.
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs),
      });
    } catch (error) {
      throw new FleetControlError(`the fleet's control API at ${this.control} did not answer ${call} (${networkReason(error)}): is \`spillway fleet up\` still running?`, { retryable: true, status: null }, { cause: error });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new FleetControlError(`the fleet's control API at ${this.control} broke off its answer to ${call} (${networkReason(error)})`, { retryable: true, status: response.status }, { cause: error });
    }
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new FleetControlError(`the fleet's control API at ${this.control} answered ${call} with ${response.status} and a body that is not JSON: is ${this.control} a Spillway fleet's control API?`, { retryable: response.status >= 500, status: response.status });
      }
    }
    if (options.expect.includes(response.status)) return { status: response.status, body };
    throw new FleetControlError(this.#refusal(call, response.status, body), { retryable: response.status >= 500, status: response.status });
  }

  /** Why the control API refused a call, with what to do about it (never the token itself). */
  #refusal(call: string, status: number, body: unknown): string {
    const at = `the fleet's control API at ${this.control}`;
    if (status === 401) {
      return this.#authorization
        ? `${at} refused the token in ${controlTokenVariable} (401) on ${call}: set it to the token the fleet was started with`
        : `${at} needs a token (401) on ${call}: set ${controlTokenVariable} to the token the fleet was started with`;
    }
    if (status === 403) {
      return `${at} answers loopback callers only (403) on ${call}: start the fleet with ${controlTokenVariable} set (and --control-host to listen beyond loopback), and set the same ${controlTokenVariable} here`;
    }
    const said = problemBodySchema.safeParse(body);
    return `${at} answered ${call} with ${status}${said.success ? `: ${said.data.error}` : ''}`;
  }
}

/** Zod issues as `field: message; field: message`. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ')
    .concat(issues.length > 5 ? `; and ${issues.length - 5} more` : '');
}

/** The socket-level reason a fetch failed: undici puts the system error in `cause`. */
export function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
