/**
 * Where a target reads its gateway's own logs from, when it can: a real APIM's Log Analytics
 * workspace (harness/evidence/log-analytics). The rows land in the run folder's gateway-logs/
 * files, in the same contracts as the emulator's, so the verifiers never know which it was.
 */
import type { EvidenceSource } from '../contracts/evidence.ts';

export interface GatewayLogSource {
  /** For messages and the journal: which workspace (no secret). */
  readonly describe: string;
  /** Before any load: the workspace answers, the identity may query it, and it has the tables. */
  check(): Promise<void>;
  /**
   * After the load: waits until the run's rows have arrived (or a timeout) and writes them into
   * `logsDir`; says what the gateway logs and the LLM log amount to (collected, incomplete and why).
   */
  collect(run: { window: { start: number; end: number }; runMarker: string; expectedRequests: number; logsDir: string }): Promise<{ sources: EvidenceSource[]; ingestionLagMs?: { p50: number; max: number } }>;
}
