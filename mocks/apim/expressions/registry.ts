/**
 * One place the compiler asks "what is member X of type T?" and "what type is the name N?",
 * over all built-in libraries. Lookups walk the base-class chain and end at object, as C#
 * member lookup does.
 */
import { arrayMembers, nullableMembers, SYSTEM_MEMBERS, SYSTEM_TYPE_NAMES, toStringFor } from './builtins-system.ts';
import { JSON_MEMBERS, JSON_TYPE_NAMES } from './builtins-json.ts';
import { CONTEXT_MEMBERS, CONTEXT_TYPE_NAMES } from './builtins-context.ts';
import type { MemberDef, Signature, TypeMembers } from './members.ts';
import { OBJECT, named, typeName } from './types.ts';
import type { ClrType, TypeDef } from './types.ts';

const ALL_MEMBERS = new Map<TypeDef, TypeMembers>([...SYSTEM_MEMBERS, ...JSON_MEMBERS, ...CONTEXT_MEMBERS]);

const TYPE_NAMES = new Map<string, TypeDef>([...SYSTEM_TYPE_NAMES, ...JSON_TYPE_NAMES, ...CONTEXT_TYPE_NAMES]);

/**
 * Types APIM allows in expressions that the emulator does not implement. Naming them lets the
 * error say "not supported by this emulator" instead of "does not exist".
 */
const UNSUPPORTED_TYPE_NAMES = new Set([
  'Regex', 'Match', 'Encoding', 'StringBuilder', 'JsonConvert', 'JProperty', 'XElement', 'XDocument', 'XNode', 'XAttribute',
  'HashSet', 'List', 'Dictionary', 'Enumerable', 'Random', 'Uri', 'IPAddress', 'WebUtility', 'BitConverter', 'DateTimeOffset',
  'Decimal', 'decimal', 'float', 'Single', 'byte', 'Byte', 'sbyte', 'short', 'ushort', 'uint', 'ulong', 'Int16', 'UInt16', 'UInt32', 'UInt64',
  'Tuple', 'TimeZoneInfo', 'HMACSHA256', 'SHA256', 'MD5', 'RSA', 'X509Certificate2', 'StringReader', 'StringWriter', 'StringComparer',
  'Exception', 'Array', 'Nullable', 'MidpointRounding', 'DateTimeKind', 'IRequest', 'IContext', 'IUrl', 'IMessageBody', 'Jwt', 'BasicAuthCredentials',
]);

export type TypeLookup = { kind: 'found'; def: TypeDef } | { kind: 'unsupported' } | { kind: 'unknown' };

export function lookupTypeName(name: string): TypeLookup {
  const def = TYPE_NAMES.get(name);
  if (def !== undefined) return { kind: 'found', def };
  const short = name.slice(name.lastIndexOf('.') + 1);
  if (UNSUPPORTED_TYPE_NAMES.has(name) || UNSUPPORTED_TYPE_NAMES.has(short)) return { kind: 'unsupported' };
  return { kind: 'unknown' };
}

const derivedTables = new Map<string, TypeMembers>();

/** The member tables that apply to a type, most derived first, ending with object's. */
function tablesFor(t: ClrType): TypeMembers[] {
  if (t.kind === 'array' || t.kind === 'nullable') {
    const key = typeName(t);
    let table = derivedTables.get(key);
    if (table === undefined) {
      table = t.kind === 'array' ? arrayMembers(t.element) : nullableMembers(named(t.underlying), toStringFor(t.underlying));
      derivedTables.set(key, table);
    }
    return [table, ALL_MEMBERS.get(OBJECT) as TypeMembers];
  }
  if (t.kind !== 'named') return [];
  const tables: TypeMembers[] = [];
  for (let d: TypeDef | undefined = t.def; d !== undefined; d = d.base) {
    const table = ALL_MEMBERS.get(d);
    if (table !== undefined) tables.push(table);
  }
  if (t.def !== OBJECT) tables.push(ALL_MEMBERS.get(OBJECT) as TypeMembers);
  return tables;
}

export type MemberLookup = { kind: 'found'; member: MemberDef } | { kind: 'unsupported' } | { kind: 'unknown'; suggestion: string | undefined };

export function lookupInstanceMember(t: ClrType, name: string): MemberLookup {
  return lookup(tablesFor(t), name, 'instance');
}

export function lookupStaticMember(def: TypeDef, name: string): MemberLookup {
  const table = ALL_MEMBERS.get(def);
  return lookup(table === undefined ? [] : [table], name, 'static');
}

function lookup(tables: TypeMembers[], name: string, which: 'instance' | 'static'): MemberLookup {
  for (const table of tables) {
    const member = table[which]?.[name];
    if (member !== undefined) return { kind: 'found', member };
  }
  if (tables.some((table) => table.unsupported?.includes(name))) return { kind: 'unsupported' };
  const names = tables.flatMap((table) => Object.keys(table[which] ?? {}));
  return { kind: 'unknown', suggestion: closest(name, names) };
}

export function lookupIndexers(t: ClrType): readonly Signature[] {
  for (const table of tablesFor(t)) if (table.indexers !== undefined) return table.indexers;
  return [];
}

/** A close spelling ("Reqest" → "Request") for did-you-mean hints. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const a = c.toLowerCase();
    const b = name.toLowerCase();
    // Same word in another case, or one a prefix of the other (Maximum → Max), count as close.
    const d = a === b ? 0 : Math.min(a.length, b.length) >= 3 && (a.startsWith(b) || b.startsWith(a)) ? 1 : editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const temp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = temp;
    }
  }
  return row[b.length] as number;
}

/**
 * For a bare name that is not in scope (`StatusCode`), the context paths where a member of that
 * name lives (`context.Response.StatusCode`), so the error can suggest the valid form.
 */
export function contextPathsFor(name: string, root: ClrType, rootName = 'context'): string[] {
  const found: string[] = [];
  const visit = (t: ClrType, path: string, depth: number): void => {
    if (depth > 3 || t.kind !== 'named') return;
    const table = ALL_MEMBERS.get(t.def);
    for (const [memberName, member] of Object.entries(table?.instance ?? {})) {
      const memberPath = `${path}.${memberName}`;
      if (memberName === name) found.push(memberPath);
      if (member.kind === 'property') visit(member.type, memberPath, depth + 1);
    }
  };
  visit(root, rootName, 0);
  return found;
}
