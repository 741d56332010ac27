import { createRequire } from 'node:module';
import type { KustoColumnType, TableSchema } from './workspace-tables.ts';

/**
 * Microsoft's own KQL parser and analyzer (@kusto/language-service-next, the Kusto.Language
 * library compiled to JavaScript with Bridge.NET), behind the few types the mock uses. Why not
 * its own .d.ts: it declares the whole library as global namespaces (1.7 MB of declarations)
 * and would slow every typecheck of the project; the mock needs a dozen members.
 *
 * The library is a script that defines the globals `Bridge` and `Kusto` when loaded; it is
 * loaded once, on first use (about half a second, and the first analysis a second more).
 */

/** A node or token of the syntax tree, with the members the evaluator reads. */
export interface KustoSyntax {
  /** The Bridge.NET type name, e.g. `Kusto.Language.Syntax.FilterOperator`. */
  readonly constructor: { $$name?: string };
  readonly Kind: number;
  readonly IsToken: boolean;
  readonly ChildCount: number;
  GetChild(index: number): KustoSyntax | null;
  /** Tokens: the source text, and the value it stands for (a string literal without its quotes). */
  readonly Text?: string;
  readonly ValueText?: string;
  /** Offset of the node in the query text, and its length (without trivia). */
  readonly TextStart: number;
  readonly Width: number;
  // Named children, present on the node kinds that have them (checked by kind before use).
  readonly [member: string]: unknown;
}

interface KustoList<T> {
  readonly Count: number;
  getItem(index: number): T;
}

interface KustoDiagnostic {
  readonly Severity: string;
  readonly Code: string;
  readonly Message: string;
  readonly Start: number;
  readonly Length: number;
}

interface KustoColumnSymbol {
  readonly Name: string;
  readonly Type: { readonly Name: string };
}

interface KustoCode {
  readonly Syntax: KustoSyntax;
  readonly ResultType: { readonly Columns?: KustoList<KustoColumnSymbol> } | null;
  GetDiagnostics(): KustoList<KustoDiagnostic>;
}

interface KustoLanguage {
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KustoCode };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { $ctor3: new (name: string, alternateName: string | null, members: unknown[], isOpen: boolean) => unknown };
  };
  Syntax: { SyntaxKind: Record<string, number | unknown> };
}

let language: KustoLanguage | undefined;
let kindNames: Map<number, string> | undefined;

function kusto(): KustoLanguage {
  if (!language) {
    const require = createRequire(import.meta.url);
    require('@kusto/language-service-next/bridge.js');
    require('@kusto/language-service-next');
    language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  }
  return language;
}

/** The name of a syntax kind (`AndExpression`, `StringLiteralExpression`, ...). */
export function syntaxKindName(node: KustoSyntax): string {
  if (!kindNames) {
    kindNames = new Map();
    for (const [name, value] of Object.entries(kusto().Syntax.SyntaxKind)) if (typeof value === 'number') kindNames.set(value, name);
  }
  return kindNames.get(node.Kind) ?? String(node.Kind);
}

/** The items of one of the library's lists, as an array. */
export function listItems<T>(list: unknown): T[] {
  const typed = list as KustoList<T> | null | undefined;
  if (!typed) return [];
  return Array.from({ length: typed.Count }, (_, i) => typed.getItem(i));
}

export interface QueryProblem {
  code: string;
  message: string;
  /** Where in the query text (offset, from 0). */
  start: number;
  length: number;
}

export interface AnalyzedQuery {
  syntax: KustoSyntax;
  /** Errors the parser or the analyzer found: unknown tables or columns, bad syntax, wrong types. */
  problems: QueryProblem[];
  /** The result's columns and their Kusto types, as the analyzer infers them. */
  columns: { name: string; type: KustoColumnType }[];
}

const globalsBySchema = new Map<string, unknown>();

/**
 * Parses and analyzes a query against a workspace's tables: the analyzer resolves every table
 * and column name the query uses, so an unknown one is a problem reported with its position,
 * as Log Analytics reports a semantic error.
 */
export function analyzeQuery(text: string, tables: Readonly<Record<string, TableSchema>>): AnalyzedQuery {
  const K = kusto();
  const key = JSON.stringify(tables);
  let globals = globalsBySchema.get(key);
  if (globals === undefined) {
    const symbols = Object.entries(tables).map(([name, schema]) => new K.Symbols.TableSymbol.$ctor7(name, `(${Object.entries(schema).map(([column, type]) => `${column}:${type}`).join(', ')})`, null));
    globals = K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.$ctor3('workspace', null, symbols, false));
    globalsBySchema.set(key, globals);
  }
  const code = K.KustoCode.ParseAndAnalyze(text, globals);
  const problems = listItems<KustoDiagnostic>(code.GetDiagnostics())
    .filter((d) => d.Severity === 'Error')
    .map((d) => ({ code: d.Code, message: d.Message, start: d.Start, length: d.Length }));
  const columns = listItems<KustoColumnSymbol>(code.ResultType?.Columns).map((c) => ({ name: c.Name, type: c.Type.Name as KustoColumnType }));
  return { syntax: code.Syntax, problems, columns };
}
