import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { breakerEventSchema, type BreakerEvent } from '../harness/contracts/breaker-events.ts';
import { isRequestPoint, k6RequestSampleSchema, toClientRecord, type ClientRecord } from '../harness/contracts/client-record.ts';
import { evidenceFileNames, type EvidenceKind, type RunEvidence } from '../harness/contracts/evidence.ts';
import { gatewayLogEvidence, gatewayLogRowSchema, llmLogEvidence, llmLogRowSchema, type GatewayLogEvidence, type LlmLogEvidence } from '../harness/contracts/gateway-log-rows.ts';
import { journalSchema, journalSchemaVersion, type Journal } from '../harness/contracts/journal.ts';
import { ledgerRecordSchema, type FaultChangeRecord, type LedgerRecord, type RequestRecord } from '../harness/contracts/ledger-record.ts';
import { UserFacingError } from '../harness/contracts/user-facing-error.ts';
import { clientTrafficCounter, clientTrafficOf, type ClientTraffic } from './client-traffic.ts';
import { isCertainlyK6RequestSample, isCertainlyLedgerRequest } from './fast-row-checks.ts';

/**
 * A run folder as the reports read it: `spillway run`'s (journal.json), `spillway capacity`'s
 * (capacity-journal.json) or `spillway drill`'s (drill-journal.json), told apart by the journal
 * the folder holds. Every renderer (HTML, Markdown, JSON, JUnit) starts from loadRunFolder, so a
 * run can be rendered again at any later time from its folder alone.
 *
 * The journal is read and checked at once (a folder that is not a run, or a journal of a schema
 * version this Spillway does not know, is refused with a ReportInputError naming the folder and
 * what is wrong). The evidence files are read only when a renderer asks for them, once, and
 * synchronously, so that rendering stays a plain function; each row is checked against its
 * contract as it is read, and a malformed one is refused naming the file, line and field. The
 * two large files (k6's samples, the fleet's ledger) can also be read by streamClientRecords and
 * streamLedgerRequests from their row sources, in another thread, exactly as here
 * (reports/html/evidence-tallies.ts reads the ledger in a worker while the client file is read).
 *
 * A run that did not complete is loaded all the same: `incomplete` carries its status and the
 * reason the journal gives, for a renderer to show first.
 *
 * reports/ may import only harness/contracts (harness/contracts/import-boundaries.test.ts): the
 * capacity and drill journals' shapes are checked here by what a report reads of them.
 */

/** Bad input to a report: not a run folder, an unreadable or unknown journal, a malformed evidence row. */
export class ReportInputError extends UserFacingError {}

export type RunFolderKind = 'run' | 'capacity' | 'drill';

/** Which file marks a folder as which kind, in the order they are looked for. */
export const journalFileNames: Readonly<Record<RunFolderKind, string>> = {
  run: 'journal.json',
  capacity: 'capacity-journal.json',
  drill: 'drill-journal.json',
};

/** The schema versions of each journal this loader reads. */
export const supportedSchemaVersions: Readonly<Record<RunFolderKind, readonly number[]>> = {
  run: [journalSchemaVersion],
  capacity: [1],
  drill: [1],
};

/** Why a run, capacity run or drill did not complete (its journal's status and reason). */
export interface Incompleteness {
  status: string;
  reason: string;
}

interface FolderBase {
  /** The folder, absolute. */
  dir: string;
  /** Its journal file, absolute. */
  journalFile: string;
  /** Null when the run completed; else its status and the journal's reason, to be shown first. */
  incomplete: Incompleteness | null;
}

/**
 * A `spillway run` folder's evidence, read on first use and kept. A kind the run did not bring
 * (absent from the target, or its file not written) reads as an empty list; `status` says which.
 */
export interface RunFolderEvidence {
  /** What the journal says of each kind (collected, incomplete, absent) and whether its file is there. */
  status(kind: EvidenceKind): { status: 'collected' | 'incomplete' | 'absent'; note?: string; file: string | null };
  /** The file of an evidence kind or another named file of the journal (k6Summary, ...), relative to the folder; null when none. */
  file(name: string): string | null;
  /** What k6 saw of each request (k6-samples.json). */
  clientRecords(): readonly ClientRecord[];
  /**
   * Each client record in turn, none kept (from the list when clientRecords() has read it
   * already): for a renderer aggregating a long run, whose records would otherwise all be held
   * at once. Returns how many there were.
   */
  eachClientRecord(visit: (record: ClientRecord) => void): number;
  /**
   * The client records' traffic for a report's summary (client-traffic.ts): counted in the pass
   * that first read them (eachClientRecord's, clientRecords'), else in a pass of its own that
   * keeps no record; so a summary after the HTML charts reads nothing again.
   */
  clientTraffic(): ClientTraffic;
  /** What the backends saw (fleet-ledger.jsonl): the requests. */
  ledgerRequests(): readonly RequestRecord[];
  /** Each request of the ledger in turn, none kept (as eachClientRecord). */
  eachLedgerRequest(visit: (record: RequestRecord) => void): number;
  /**
   * Where eachClientRecord would read from: the file, for streamClientRecords to read in another
   * thread exactly as eachClientRecord does; null when the records are in memory already, or
   * there is no file (eachClientRecord then visits the list, or nothing).
   */
  clientRowSource(): ClientRowSource | null;
  /** Where eachLedgerRequest would read from, as clientRowSource (for streamLedgerRequests). */
  ledgerRowSource(): LedgerRowSource | null;
  /** The fault changes recorded in the ledger. */
  faultChanges(): readonly FaultChangeRecord[];
  /** The gateway's circuit breaker events. */
  breakerEvents(): readonly BreakerEvent[];
  /** ApiManagementGatewayLogs rows (the columns the verifiers read). */
  gatewayLogs(): readonly GatewayLogEvidence[];
  /** ApiManagementGatewayLlmLog rows (the columns the verifiers read). */
  llmLogs(): readonly LlmLogEvidence[];
}

export interface RunRunFolder extends FolderBase {
  kind: 'run';
  journal: Journal;
  evidence: RunFolderEvidence;
}

export interface CapacityRunFolder extends FolderBase {
  kind: 'capacity';
  journal: CapacityJournal;
}

export interface DrillRunFolder extends FolderBase {
  kind: 'drill';
  journal: DrillJournal;
  /** The method's run folder (absolute), when the drill got as far as running it. */
  methodRunDir: string | null;
  /** The method's run, loaded on first use; null when there is none or its folder is gone. */
  methodRun(): RunRunFolder | null;
}

export type RunFolder = RunRunFolder | CapacityRunFolder | DrillRunFolder;

// ---------------------------------------------------------------------------------------------
// The capacity and drill journals, as far as a report reads them (unknown fields are kept).

const nullableNumber = z.number().nullable();

const capacityStepSchema = z.looseObject({
  step: z.looseObject({
    offeredRps: z.number(),
    throughputRps: z.number(),
    requests: z.number(),
    p95Ms: nullableNumber,
    latencyMs: z.looseObject({ p50: nullableNumber, p90: nullableNumber, p95: nullableNumber, p99: nullableNumber }),
    errorRate: z.number(),
    generatorKeptUp: z.boolean(),
    gatewayHeld: z.boolean(),
    reasons: z.array(z.string()),
  }),
  backend: z.looseObject({ saturated: z.boolean(), reasons: z.array(z.string()) }),
  phase: z.enum(['ramp', 'bisection', 'repeat', 'hold']),
  window: z.looseObject({ start: z.number(), end: z.number() }),
  cpu: z.looseObject({ processCores: nullableNumber, machineBusy: nullableNumber, cores: z.number() }),
  utilisation: z
    .looseObject({
      metrics: z.array(z.looseObject({ name: z.string(), region: z.string().optional(), unit: z.string(), average: nullableNumber, max: nullableNumber, samples: z.number() })),
      complete: z.boolean(),
      note: z.string().optional(),
    })
    .nullable(),
  folder: z.string(),
});
export type CapacityStep = z.output<typeof capacityStepSchema>;

const kneeSchema = z.union([
  z.looseObject({ kind: z.literal('knee'), rps: z.number(), firstFailingRps: z.number() }),
  z.looseObject({ kind: z.literal('no-knee'), cause: z.string(), atRps: z.number(), reasons: z.array(z.string()) }),
]);

export const capacityJournalSchema = z.looseObject({
  kind: z.literal('capacity'),
  schemaVersion: z.literal(1),
  startedAt: z.string(),
  endedAt: z.string(),
  status: z.enum(['completed', 'incomplete', 'interrupted']),
  problem: z.string().optional(),
  settings: z.looseObject({ profile: z.string(), units: z.number() }),
  target: z.looseObject({ kind: z.string(), entryUrl: z.string() }),
  emulated: z.looseObject({ units: z.number(), requestsPerSecondPerUnit: z.number() }).nullable(),
  steps: z.array(capacityStepSchema),
  unconfirmedSteps: z.array(capacityStepSchema).default([]),
  holds: z.array(capacityStepSchema).default([]),
  knee: kneeSchema.nullable(),
  kneeConfirmed: z.boolean().nullable(),
  conclusion: z.looseObject({ rpsPerUnit: nullableNumber, atLeastRpsPerUnit: nullableNumber, exitCode: z.number(), lines: z.array(z.string()) }),
});
export type CapacityJournal = z.output<typeof capacityJournalSchema>;

const drillCheckSchema = z.looseObject({
  name: z.string(),
  kind: z.enum(['http', 'kql', 'verdict', 'detection']),
  phase: z.enum(['before', 'after', 'method']),
  status: z.enum(['held', 'deviated', 'inconclusive']),
  expected: z.string(),
  measured: z.string(),
  query: z.string().optional(),
  window: z.looseObject({ start: z.string(), end: z.string() }).optional(),
  result: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type DrillCheck = z.output<typeof drillCheckSchema>;

export const drillJournalSchema = z.looseObject({
  schemaVersion: z.literal(1),
  drill: z.string(),
  title: z.string(),
  playbookEvent: z.string(),
  file: z.string(),
  drillRunId: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  status: z.enum(['completed', 'deviated', 'inconclusive', 'aborted', 'interrupted']),
  exitCode: z.number(),
  problem: z.string().optional(),
  run: z.looseObject({ runId: z.string(), folder: z.string(), status: z.string(), exitCode: z.number(), problem: z.string().optional() }).nullable(),
  hypothesis: z.looseObject({ title: z.string(), before: z.array(drillCheckSchema), after: z.array(drillCheckSchema), method: z.array(drillCheckSchema) }),
  /** The before probes judged while the load ran: when they did not hold, the method was not run. */
  beforeGate: z.looseObject({ atSeconds: z.number(), status: z.string(), method: z.enum(['ran', 'not-run']), faultsApplied: z.number() }).optional(),
  verdicts: z.array(z.looseObject({ check: z.string(), status: z.string(), expected: z.string(), measured: z.string() })),
  detection: z.array(drillCheckSchema),
  rollbacks: z.array(z.looseObject({ kind: z.string(), what: z.string(), status: z.string(), detail: z.string() })),
  deviations: z.array(z.string()),
});
export type DrillJournal = z.output<typeof drillJournalSchema>;

// ---------------------------------------------------------------------------------------------

/**
 * Reads the run folder `dir`. Throws ReportInputError when it is not a folder, holds none of the
 * three journals, or its journal cannot be read, is of an unsupported schema version, or does
 * not match its schema (naming the field).
 */
export function loadRunFolder(dir: string): RunFolder {
  const folder = resolve(dir);
  if (!existsSync(folder)) throw new ReportInputError(`${dir}: no such folder (a run folder is results/<run-id>/, written by spillway run, capacity or drill)`);
  if (!statSync(folder).isDirectory()) throw new ReportInputError(`${dir}: not a folder (give the run folder, results/<run-id>/, not a file in it)`);
  const kind = (Object.keys(journalFileNames) as RunFolderKind[]).find((k) => existsSync(join(folder, journalFileNames[k])));
  if (kind === undefined) {
    throw new ReportInputError(`${dir}: not a run folder: it holds none of ${Object.values(journalFileNames).join(', ')} (a run folder is results/<run-id>/, written by spillway run, capacity or drill)`);
  }
  const journalFile = join(folder, journalFileNames[kind]);
  const raw = readJournalJson(journalFile);
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (!supportedSchemaVersions[kind].includes(version as number)) {
    const said = version === undefined ? 'no schemaVersion (a journal from before versions were recorded)' : `schemaVersion ${JSON.stringify(version)}`;
    throw new ReportInputError(`${journalFile}: ${said}; this Spillway renders ${kind} journals of schema version ${supportedSchemaVersions[kind].join(', ')} only (render it with the Spillway that wrote it)`);
  }
  if (kind === 'run') {
    const journal = checked(journalFile, journalSchema, raw);
    return { kind, dir: folder, journalFile, journal, incomplete: journal.status === 'completed' ? null : { status: journal.status, reason: journal.problem ?? `the run is ${journal.status} (the journal gives no reason)` }, evidence: runFolderEvidence(folder, journal) };
  }
  if (kind === 'capacity') {
    const journal = checked(journalFile, capacityJournalSchema, raw);
    return { kind, dir: folder, journalFile, journal, incomplete: journal.status === 'completed' ? null : { status: journal.status, reason: journal.problem ?? `the capacity run is ${journal.status} (the journal gives no reason)` } };
  }
  const journal = checked(journalFile, drillJournalSchema, raw);
  const methodRunDir = journal.run ? resolve(folder, journal.run.folder) : null;
  let methodRun: RunRunFolder | null | undefined;
  return {
    kind,
    dir: folder,
    journalFile,
    journal,
    incomplete: journal.status === 'aborted' || journal.status === 'interrupted' ? { status: journal.status, reason: journal.problem ?? `the drill was ${journal.status} (the journal gives no reason)` } : null,
    methodRunDir,
    methodRun() {
      if (methodRun === undefined) {
        methodRun = null;
        if (methodRunDir !== null && existsSync(join(methodRunDir, journalFileNames.run))) {
          const loaded = loadRunFolder(methodRunDir);
          if (loaded.kind === 'run') methodRun = loaded;
        }
      }
      return methodRun;
    },
  };
}

/** Evidence a run already holds in memory: its own analysis read it (harness/evidence's RunEvidence). */
export type LoadedEvidence = Partial<Pick<RunEvidence, 'client' | 'ledger' | 'faultChanges' | 'breakerEvents' | 'gatewayLogs' | 'llmLogs'>>;

/**
 * The run folder with the evidence the run has already read: a report written at the end of
 * `spillway run`, right after the analysis, then renders without reading the evidence files a
 * second time (for a 10-minute run at 1,000 req/s, the bulk of the rendering time). The kinds
 * not given are read from the folder as usual; the evidence's status stays the folder's.
 */
export function withLoadedEvidence(run: RunRunFolder, loaded: LoadedEvidence): RunRunFolder {
  const base = run.evidence;
  const each = <T>(rows: readonly T[], visit: (row: T) => void): number => {
    for (const row of rows) visit(row);
    return rows.length;
  };
  const { client, ledger, faultChanges, breakerEvents, gatewayLogs, llmLogs } = loaded;
  return {
    ...run,
    evidence: {
      ...base,
      clientRecords: client ? () => client : base.clientRecords,
      eachClientRecord: client ? (visit) => each(client, visit) : base.eachClientRecord,
      clientTraffic: client ? lazilyOnce(() => clientTrafficOf(client)) : base.clientTraffic,
      ledgerRequests: ledger ? () => ledger : base.ledgerRequests,
      eachLedgerRequest: ledger ? (visit) => each(ledger, visit) : base.eachLedgerRequest,
      clientRowSource: client ? () => null : base.clientRowSource,
      ledgerRowSource: ledger ? () => null : base.ledgerRowSource,
      faultChanges: faultChanges ? () => faultChanges : base.faultChanges,
      breakerEvents: breakerEvents ? () => breakerEvents : base.breakerEvents,
      gatewayLogs: gatewayLogs ? () => gatewayLogs : base.gatewayLogs,
      llmLogs: llmLogs ? () => llmLogs : base.llmLogs,
    },
  };
}

/** `read`'s value, computed on the first call and kept. */
function lazilyOnce<T>(read: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: read() }).v;
}

function readJournalJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReportInputError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ReportInputError(`${file}: not JSON (${(error as Error).message}); the journal may have been cut short`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ReportInputError(`${file}: not a journal (expected a JSON object)`);
  return value;
}

function checked<S extends z.ZodType>(file: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(the journal)';
  throw new ReportInputError(`${file}: field ${field}: ${issue.message}${result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem(s))` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// Evidence, read lazily.

/** Where each kind's file is when the journal does not say (the names harness/evidence writes). */
const defaultEvidenceFiles = evidenceFileNames;

/**
 * Evidence is read only from regular files: a pipe or device in an evidence file's place (a test
 * holding a run in its analysis turns k6's samples file into a FIFO) would block the report
 * forever, so it reads as not written.
 */
function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function runFolderEvidence(dir: string, journal: Journal): RunFolderEvidence {
  const fileOf = (name: string): string | null => journal.evidence[name] ?? (name in defaultEvidenceFiles ? defaultEvidenceFiles[name as EvidenceKind] : null);
  const status: RunFolderEvidence['status'] = (kind) => {
    const said = journal.evidenceSources?.find((s) => s.kind === kind);
    const file = fileOf(kind);
    const present = file !== null && isRegularFile(join(dir, file));
    if (said?.status === 'absent') return { status: 'absent', ...(said.note ? { note: said.note } : {}), file: null };
    if (!present) return { status: said ? 'incomplete' : 'absent', note: said ? `${file ?? kind} was not written` : `this run brought no ${kind}`, file: null };
    return { status: said?.status ?? 'collected', ...(said?.note ? { note: said.note } : {}), file };
  };
  const lazily = lazilyOnce;
  const rowsOf = <T>(kind: EvidenceKind, read: (file: string) => T[]): (() => T[]) =>
    lazily(() => {
      const { file } = status(kind);
      return file === null ? [] : read(join(dir, file));
    });
  // The run's own requests, as its verifiers judged them (harness/run/run-scenario.ts,
  // runTraffic): those that started while k6 ran. The preflight's probes, sent before the load,
  // are in the same ledger file and are not the run's traffic.
  const k6Window = journal.k6.startedAt && journal.k6.endedAt ? { start: Date.parse(journal.k6.startedAt), end: Date.parse(journal.k6.endedAt) } : null;
  const clientRecords = rowsOf('client', (file) => readRows(file, k6RequestSampleSchema, clientRowOptions).map(toClientRecord));
  const ledger = rowsOf('ledger', (file) => readRows(file, ledgerRecordSchema, ledgerRowOptions));
  let clientRead = false;
  let ledgerRead = false;
  let traffic: ClientTraffic | undefined;
  const fileOfKind = (kind: EvidenceKind): string | null => {
    const { file } = status(kind);
    return file === null ? null : join(dir, file);
  };
  const clientRowSource = (): ClientRowSource | null => {
    const file = clientRead ? null : fileOfKind('client');
    return file === null ? null : { kind: 'client', file };
  };
  const ledgerRowSource = (): LedgerRowSource | null => {
    const file = ledgerRead ? null : fileOfKind('ledger');
    return file === null ? null : { kind: 'ledger', file, window: k6Window };
  };
  const ledgerRequests = lazily(() => {
    ledgerRead = true;
    return ledger().filter((r): r is RequestRecord => r.type === 'request' && inWindow(k6Window, r));
  });
  const eachOf = <T>(rows: readonly T[], visit: (row: T) => void): number => {
    for (const row of rows) visit(row);
    return rows.length;
  };
  return {
    status,
    file: (name) => {
      const file = fileOf(name);
      return file !== null && isRegularFile(join(dir, file)) ? file : null;
    },
    clientRecords: () => {
      clientRead = true;
      return clientRecords();
    },
    // Streamed unless the list is in memory already; the summary's traffic counted on the way.
    eachClientRecord: (visit) => {
      if (clientRead) return eachOf(clientRecords(), visit);
      const source = clientRowSource();
      if (source === null) return 0;
      if (traffic !== undefined) return streamClientRecords(source, visit);
      const counter = clientTrafficCounter();
      const count = streamClientRecords(source, (record) => {
        counter.add(record);
        visit(record);
      });
      traffic = counter.result();
      return count;
    },
    clientTraffic: () => {
      if (traffic !== undefined) return traffic;
      if (clientRead) return (traffic = clientTrafficOf(clientRecords()));
      const counter = clientTrafficCounter();
      const source = clientRowSource();
      if (source !== null) streamClientRecords(source, counter.add);
      return (traffic = counter.result());
    },
    ledgerRequests,
    eachLedgerRequest: (visit) => {
      if (ledgerRead) return eachOf(ledgerRequests(), visit);
      const source = ledgerRowSource();
      return source === null ? 0 : streamLedgerRequests(source, visit);
    },
    clientRowSource,
    ledgerRowSource,
    faultChanges: lazily(() => ledger().filter((r): r is FaultChangeRecord => r.type === 'fault')),
    breakerEvents: rowsOf('breakerEvents', (file) => readRows(file, breakerEventSchema, { prefilter: null })),
    gatewayLogs: rowsOf('gatewayLogs', (file) => readRows(file, gatewayLogRowSchema, { prefilter: null }).map(gatewayLogEvidence)),
    llmLogs: rowsOf('llmLogs', (file) => readRows(file, llmLogRowSchema, { prefilter: null }).map(llmLogEvidence)),
  };
}

/**
 * Where a run's client records or ledger requests are read from, as plain data (it crosses to a
 * worker thread as it is): the file, absolute, and for the ledger the window of k6's run that
 * selects the run's own requests (null: every request).
 */
export interface ClientRowSource {
  kind: 'client';
  file: string;
}
export interface LedgerRowSource {
  kind: 'ledger';
  file: string;
  window: { start: number; end: number } | null;
}

/** Whether a request started while k6 ran (within `window`; any request when there is none). */
function inWindow(window: LedgerRowSource['window'], r: RequestRecord): boolean {
  return window === null || (r.start >= window.start && r.start <= window.end);
}

const clientRowOptions: RowOptions = { prefilter: '"spillway_request"', select: isRequestPoint, certainly: isCertainlyK6RequestSample };
const ledgerRowOptions: RowOptions = { prefilter: null, certainly: isCertainlyLedgerRequest };

/**
 * Each client record of k6's samples file in turn, none kept, each row checked (a malformed one
 * is refused with a ReportInputError naming the file, line and field). Returns how many there were.
 */
export function streamClientRecords(source: ClientRowSource, visit: (record: ClientRecord) => void): number {
  let count = 0;
  scanRows(source.file, k6RequestSampleSchema, clientRowOptions, (row) => {
    count++;
    visit(toClientRecord(row));
  });
  return count;
}

/** Each of the run's own requests in the fleet's ledger in turn, as streamClientRecords. */
export function streamLedgerRequests(source: LedgerRowSource, visit: (record: RequestRecord) => void): number {
  let count = 0;
  scanRows(source.file, ledgerRecordSchema, ledgerRowOptions, (row: LedgerRecord) => {
    if (row.type !== 'request' || !inWindow(source.window, row)) return;
    count++;
    visit(row);
  });
  return count;
}

/**
 * The rows of a JSON-lines file, each checked against `schema`, read in chunks so that a file
 * of hundreds of megabytes (k6's output of a long run) never has to fit in one string; rows a
 * quick check vouches for skip the schema, which costs as much as the JSON parse. Lines
 * without `prefilter` are skipped unparsed (k6's own metrics), as are parsed ones `select` refuses.
 */
interface RowOptions {
  prefilter: string | null;
  select?: (row: unknown) => boolean;
  certainly?: (row: unknown) => boolean;
}

function readRows<S extends z.ZodType>(file: string, schema: S, options: RowOptions): z.output<S>[] {
  const rows: z.output<S>[] = [];
  scanRows(file, schema, options, (row) => rows.push(row));
  return rows;
}

/** Each row of a JSON-lines file in turn, checked as readRows checks it. */
function scanRows<S extends z.ZodType>(file: string, schema: S, options: RowOptions, visit: (row: z.output<S>) => void): void {
  let lineNumber = 0;
  const take = (line: string): void => {
    lineNumber++;
    // (A long line is never blank: trimming each of a million rows costs a copy each.)
    if (line.length === 0 || (line.length < 16 && line.trim() === '') || (options.prefilter !== null && !line.includes(options.prefilter))) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ReportInputError(`${file}:${lineNumber}: not JSON (${(error as Error).message})`);
    }
    if (options.select && !options.select(value)) return;
    // A row a quick check vouches for is one the schema accepts as it is (fast-row-checks.ts).
    if (options.certainly?.(value)) {
      visit(value as z.output<S>);
      return;
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new ReportInputError(`${file}:${lineNumber}: field ${issue.path.map(String).join('.') || '(the row)'}: ${issue.message}`);
    }
    visit(result.data);
  };
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4 * 1024 * 1024);
    // Bytes after the last newline read so far: kept as bytes, so a multi-byte character cut
    // by a chunk's end is decoded whole with the next chunk.
    let carry = Buffer.alloc(0);
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      const lastNewline = buffer.lastIndexOf(10, read - 1);
      if (lastNewline === -1 || lastNewline >= read) {
        carry = Buffer.concat([carry, buffer.subarray(0, read)]);
        continue;
      }
      const text = Buffer.concat([carry, buffer.subarray(0, lastNewline)]).toString('utf8');
      carry = Buffer.from(buffer.subarray(lastNewline + 1, read));
      for (const line of text.split('\n')) take(line);
    }
    if (carry.length > 0) take(carry.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}
