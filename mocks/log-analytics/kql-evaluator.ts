import { listItems, syntaxKindName, type KustoSyntax } from './kusto-language.ts';

/**
 * Evaluates the subset of KQL that Spillway's Log Analytics source sends
 * (harness/evidence/log-analytics/run-queries.ts), over rows a mock workspace holds, from the
 * syntax tree Microsoft's own parser built (kusto-language.ts). Anything outside the subset is
 * refused with a KqlNotEvaluated naming the construct and where it is: the mock never answers a
 * query it did not evaluate.
 *
 * The subset: `let name = <tabular>;` statements, then one tabular expression of a table or a
 * let name piped through `where`, `project` (columns, or `Name = expression`) and `summarize`
 * (named aggregates count(), countif(), sum(), min(), max(), by columns or `Name = expression`).
 * Scalars: column names, literals (string, int, long, real, bool, datetime, timespan),
 * `and`, `or`, `==`, `=~` (case-insensitive), `!=`, `<`, `<=`, `>`, `>=`, `in (literals)`, `in (let name)` (its first
 * column), `not()`, `tostring()`, `bin()`, `ingestion_time()` and `dynamic["key"]`.
 *
 * Values, as Kusto has them: datetime and timespan as epoch milliseconds (the mock's resolution;
 * Kusto's is 100 ns), string never null (an empty string instead), dynamic as the JSON value.
 */
export type KustoValue = string | number | boolean | null | KustoDynamic;
export type KustoDynamic = { readonly [key: string]: unknown } | readonly unknown[];

/** A row: its values by column, and when the workspace ingested it (null once projected). */
export interface EvaluatedRow {
  readonly values: Readonly<Record<string, KustoValue>>;
  readonly ingestedAt: number | null;
}

export interface EvaluatedTable {
  readonly columns: readonly string[];
  readonly rows: readonly EvaluatedRow[];
}

/** The rows of a table as a query sees them: those already ingested, in the request's timespan. */
export type TableSource = (table: string) => EvaluatedTable | undefined;

export class KqlNotEvaluated extends Error {
  constructor(construct: string, node: KustoSyntax, query: string) {
    const text = query.slice(node.TextStart, node.TextStart + node.Width).replace(/\s+/g, ' ');
    super(
      `the mock Log Analytics workspace does not evaluate ${construct} (at offset ${node.TextStart}: "${text.length > 80 ? `${text.slice(0, 77)}...` : text}"). ` +
        'It evaluates let, where, project and summarize (count, countif, sum, min, max) with ==, =~, !=, <, <=, >, >=, and, or, in, not(), tostring(), bin(), ingestion_time() and dynamic["key"]; ' +
        'extend mocks/log-analytics/kql-evaluator.ts with what the source sends rather than answer a query it does not evaluate',
    );
    this.name = 'KqlNotEvaluated';
  }
}

const kindOf = (node: KustoSyntax): string => syntaxKindName(node);
const child = (node: KustoSyntax, member: string): KustoSyntax => node[member] as KustoSyntax;
const elements = (list: unknown): KustoSyntax[] => listItems<KustoSyntax>(list).map((separated) => (separated.Element as KustoSyntax | undefined) ?? separated);

/** Evaluates a whole query (a QueryBlock) and returns its result table. */
export function evaluateQuery(root: KustoSyntax, query: string, tables: TableSource): EvaluatedTable {
  const refuse = (construct: string, node: KustoSyntax): never => {
    throw new KqlNotEvaluated(construct, node, query);
  };
  if (listItems(root.Directives).length > 0) refuse('directives', root);
  if (root.SkippedTokens) refuse('text the parser skipped', root.SkippedTokens as KustoSyntax);
  const lets = new Map<string, EvaluatedTable>();
  let result: EvaluatedTable | undefined;

  const statements = elements(root.Statements);
  statements.forEach((statement, index) => {
    const kind = kindOf(statement);
    if (kind === 'LetStatement') {
      const name = child(statement, 'Name').SimpleName as string;
      lets.set(name, tabular(child(statement, 'Expression')));
    } else if (kind === 'ExpressionStatement' && index === statements.length - 1) {
      result = tabular(child(statement, 'Expression'));
    } else refuse(`a ${kind} here (only let statements, then one query)`, statement);
  });
  if (!result) return refuse('a query without a final tabular expression', root);
  return result;

  function tabular(node: KustoSyntax): EvaluatedTable {
    const kind = kindOf(node);
    if (kind === 'NameReference') {
      const name = node.SimpleName as string;
      const bound = lets.get(name) ?? tables(name);
      // The analyzer has resolved every name already; a table it knows that the workspace does
      // not hold is the caller's inconsistency, refused all the same.
      return bound ?? refuse(`the table "${name}"`, node);
    }
    if (kind === 'PipeExpression') return applyOperator(tabular(child(node, 'Expression')), child(node, 'Operator'));
    if (kind === 'ParenthesizedExpression') return tabular(child(node, 'Expression'));
    return refuse(`a ${kind} as a table`, node);
  }

  function applyOperator(input: EvaluatedTable, operator: KustoSyntax): EvaluatedTable {
    const kind = kindOf(operator);
    const name = kind.replace(/Operator$/, '').toLowerCase();
    if (!['FilterOperator', 'ProjectOperator', 'SummarizeOperator'].includes(kind)) return refuse(`the ${name} operator`, operator);
    if (listItems(operator.Parameters).length > 0) refuse(`parameters of the ${name} operator`, operator);
    switch (kind) {
      case 'FilterOperator': {
        const condition = child(operator, 'Condition');
        return { columns: input.columns, rows: input.rows.filter((row) => scalar(condition, row) === true) };
      }
      case 'ProjectOperator':
        return project(input, elements(operator.Expressions));
      case 'SummarizeOperator':
        return summarize(input, operator);
      default:
        return refuse(`the ${name} operator`, operator);
    }
  }

  function named(expression: KustoSyntax, what: string): { name: string; value: KustoSyntax } {
    const kind = kindOf(expression);
    if (kind === 'NameReference') return { name: expression.SimpleName as string, value: expression };
    if (kind === 'SimpleNamedExpression') return { name: child(expression, 'Name').SimpleName as string, value: child(expression, 'Expression') };
    return refuse(`an unnamed ${what} (write Name = expression)`, expression);
  }

  function project(input: EvaluatedTable, expressions: KustoSyntax[]): EvaluatedTable {
    const outputs = expressions.map((e) => named(e, 'projection'));
    return {
      columns: outputs.map((o) => o.name),
      rows: input.rows.map((row) => ({ values: Object.fromEntries(outputs.map((o) => [o.name, scalar(o.value, row)])), ingestedAt: null })),
    };
  }

  function summarize(input: EvaluatedTable, operator: KustoSyntax): EvaluatedTable {
    const byClause = operator.ByClause as KustoSyntax | null;
    if (byClause?.BinClause) refuse('a summarize bin clause', byClause.BinClause as KustoSyntax);
    const keys = byClause ? elements(byClause.Expressions).map((e) => named(e, 'summarize key')) : [];
    const aggregates = elements(operator.Aggregates).map((e) => {
      const { name, value } = named(e, 'aggregate');
      if (kindOf(value) !== 'FunctionCallExpression') refuse('an aggregate that is not a function call', value);
      const fn = functionName(value);
      const args = elements(child(value, 'ArgumentList').Expressions);
      if (!['count', 'countif', 'sum', 'min', 'max'].includes(fn)) refuse(`the aggregate ${fn}()`, value);
      if ((fn === 'count') !== (args.length === 0) || args.length > 1) refuse(`${fn}() with ${args.length} argument(s)`, value);
      return { name, fn, arg: args[0] };
    });
    const groups = new Map<string, { key: KustoValue[]; rows: EvaluatedRow[] }>();
    for (const row of input.rows) {
      const key = keys.map((k) => scalar(k.value, row));
      const id = JSON.stringify(key);
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { key, rows: [] }));
      group.rows.push(row);
    }
    // Without a by clause, Kusto answers one row even over no rows (count() is 0).
    if (keys.length === 0 && groups.size === 0) groups.set('[]', { key: [], rows: [] });
    const rows = [...groups.values()].map((group) => {
      const values: Record<string, KustoValue> = {};
      keys.forEach((k, i) => (values[k.name] = group.key[i] ?? null));
      for (const aggregate of aggregates) values[aggregate.name] = aggregateOf(aggregate.fn, aggregate.arg, group.rows);
      return { values, ingestedAt: null };
    });
    return { columns: [...keys.map((k) => k.name), ...aggregates.map((a) => a.name)], rows };
  }

  function aggregateOf(fn: string, arg: KustoSyntax | undefined, rows: EvaluatedRow[]): KustoValue {
    if (fn === 'count') return rows.length;
    if (fn === 'countif') return rows.filter((row) => scalar(arg!, row) === true).length;
    const numbers = rows.map((row) => scalar(arg!, row)).filter((v): v is number => typeof v === 'number');
    if (numbers.length === 0) return null;
    if (fn === 'sum') return numbers.reduce((a, b) => a + b, 0);
    return fn === 'min' ? Math.min(...numbers) : Math.max(...numbers);
  }

  function functionName(call: KustoSyntax): string {
    return child(call, 'Name').SimpleName as string;
  }

  function scalar(node: KustoSyntax, row: EvaluatedRow): KustoValue {
    const kind = kindOf(node);
    switch (kind) {
      case 'NameReference': {
        const name = node.SimpleName as string;
        if (!(name in row.values)) return refuse(`the name "${name}" as a value here`, node);
        return row.values[name] ?? null;
      }
      case 'StringLiteralExpression':
        return literalToken(node).ValueText as string;
      case 'IntLiteralExpression':
      case 'LongLiteralExpression':
      case 'RealLiteralExpression':
        return Number(literalToken(node).ValueText);
      case 'BooleanLiteralExpression':
        return literalToken(node).ValueText === 'true';
      case 'DateTimeLiteralExpression': {
        const text = literalToken(node).ValueText as string;
        // Kusto reads a datetime without a zone as UTC; Date.parse would take it as local time.
        const ms = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(text) || !text.includes('T') ? text : `${text}Z`);
        return Number.isFinite(ms) ? ms : refuse('a datetime literal it cannot read', node);
      }
      case 'TimespanLiteralExpression': {
        const ticks = (node.LiteralValue as { ticks?: { toString(): string } } | null)?.ticks;
        return ticks === undefined ? refuse('a timespan literal it cannot read', node) : Number(ticks.toString()) / 10_000;
      }
      case 'ParenthesizedExpression':
        return scalar(child(node, 'Expression'), row);
      case 'AndExpression':
      case 'OrExpression': {
        const left = scalar(child(node, 'Left'), row);
        const right = scalar(child(node, 'Right'), row);
        if (kind === 'AndExpression') return left === false || right === false ? false : left === true && right === true ? true : null;
        return left === true || right === true ? true : left === false && right === false ? false : null;
      }
      case 'EqualExpression':
      case 'NotEqualExpression':
      case 'LessThanExpression':
      case 'LessThanOrEqualExpression':
      case 'GreaterThanExpression':
      case 'GreaterThanOrEqualExpression':
        return compare(kind, scalar(child(node, 'Left'), row), scalar(child(node, 'Right'), row));
      case 'EqualTildeExpression': {
        const left = scalar(child(node, 'Left'), row);
        const right = scalar(child(node, 'Right'), row);
        return typeof left === 'string' && typeof right === 'string' ? left.toLowerCase() === right.toLowerCase() : null;
      }
      case 'InExpression':
        return inList(node, row);
      case 'ElementExpression': {
        const value = scalar(child(node, 'Expression'), row);
        const selector = child(node, 'Selector');
        if (kindOf(selector) !== 'BracketedExpression') return refuse(`a ${kindOf(selector)} selector`, selector);
        const key = scalar(child(selector, 'Expression'), row);
        if (typeof key !== 'string') return refuse('a selector that is not a string', selector);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
        const found = (value as Record<string, unknown>)[key];
        return found === undefined ? null : (found as KustoValue);
      }
      case 'FunctionCallExpression':
        return call(node, row);
      default:
        return refuse(`a ${kind}`, node);
    }
  }

  function literalToken(node: KustoSyntax): KustoSyntax {
    return child(node, 'Token');
  }

  function call(node: KustoSyntax, row: EvaluatedRow): KustoValue {
    const fn = functionName(node);
    const args = elements(child(node, 'ArgumentList').Expressions);
    const arity = (n: number): void => {
      if (args.length !== n) refuse(`${fn}() with ${args.length} argument(s)`, node);
    };
    switch (fn) {
      case 'ingestion_time':
        arity(0);
        return row.ingestedAt;
      case 'not': {
        arity(1);
        const value = scalar(args[0]!, row);
        return value === null ? null : value !== true;
      }
      case 'tostring': {
        arity(1);
        const value = scalar(args[0]!, row);
        const type = (args[0]!.ResultType as { Name?: string } | null)?.Name;
        if (value === null) return '';
        if (type === 'datetime') return kustoDatetime(value as number);
        return typeof value === 'object' ? JSON.stringify(value) : String(value);
      }
      case 'bin': {
        arity(2);
        const value = scalar(args[0]!, row);
        const size = scalar(args[1]!, row);
        if (typeof size !== 'number' || size <= 0) return refuse('bin() without a positive literal size', args[1]!);
        return typeof value === 'number' ? Math.floor(value / size) * size : null;
      }
      default:
        return refuse(`the function ${fn}()`, node);
    }
  }

  function inList(node: KustoSyntax, row: EvaluatedRow): KustoValue {
    const left = scalar(child(node, 'Left'), row);
    const items = elements(child(node, 'Right').Expressions);
    const only = items.length === 1 ? items[0]! : null;
    let candidates: KustoValue[];
    if (only && kindOf(only) === 'NameReference' && lets.has(only.SimpleName as string)) {
      const table = lets.get(only.SimpleName as string)!;
      const first = table.columns[0];
      if (first === undefined) return refuse('in () over a table without columns', only);
      candidates = table.rows.map((r) => r.values[first] ?? null);
    } else {
      candidates = items.map((item) => {
        if (!/LiteralExpression$/.test(kindOf(item))) refuse(`a ${kindOf(item)} in an in () list (literals, or one let name)`, item);
        return scalar(item, row);
      });
    }
    if (left === null) return false;
    return candidates.some((candidate) => candidate === left);
  }
}

function compare(kind: string, left: KustoValue, right: KustoValue): boolean | null {
  if (left === null || right === null) return null;
  if (typeof left === 'object' || typeof right === 'object') return null;
  switch (kind) {
    case 'EqualExpression':
      return left === right;
    case 'NotEqualExpression':
      return left !== right;
    case 'LessThanExpression':
      return left < right;
    case 'LessThanOrEqualExpression':
      return left <= right;
    case 'GreaterThanExpression':
      return left > right;
    default:
      return left >= right;
  }
}

/** A datetime as Log Analytics writes one: ISO 8601 UTC with seven decimals of a second. */
export function kustoDatetime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}
