/**
 * How built-in members (properties, methods, indexers) are described to the compiler: each
 * carries its static signature, checked at load time, and a run-time implementation the
 * compiler wires into the closure tree once. The built-in libraries (builtins-*.ts) are
 * tables of these.
 */
import type { PolicyContextView } from './context-types.ts';
import type { ClrType } from './types.ts';

/** Per-evaluation state: the context and the slots of block locals and `?.` receivers. */
export interface Frame {
  readonly ctx: PolicyContextView;
  readonly locals: unknown[];
}

/** What an `out` argument passes: a way to store into the caller's variable. */
export interface OutRef {
  set(value: unknown): void;
}

export interface ParamDef {
  name: string;
  type: ClrType;
  /** Optional parameters take `defaultValue` when omitted. */
  optional?: boolean;
  defaultValue?: unknown;
  /** `params T[]`: callers may pass the elements one by one. Must be the last parameter. */
  params?: boolean;
  /** `out` parameter: the argument is an OutRef. */
  out?: boolean;
}

/** Run-time implementation. `target` is the receiver (undefined for static members). */
export type Invoke = (target: unknown, args: unknown[], frame: Frame) => unknown;

export interface Signature {
  params: ParamDef[];
  returns: ClrType;
  invoke: Invoke;
  /**
   * An extension method (static in .NET, called like an instance method): a null receiver is
   * passed to `invoke` instead of raising NullReferenceException at the call site.
   */
  extension?: boolean;
}

export interface GenericOverload {
  typeParams: number;
  /** The concrete signature for these type arguments, or a message saying why they are not allowed. */
  instantiate(typeArgs: ClrType[]): Signature | string;
  /** Infers type arguments from argument types when the call writes none (C# type inference). */
  infer?(argTypes: ClrType[]): ClrType[] | undefined;
}

export type Overload = Signature | GenericOverload;

export interface PropertyDef {
  kind: 'property';
  type: ClrType;
  get(target: unknown, frame: Frame): unknown;
  /** Known at compile time (enum members, string.Empty): lets the compiler fold it. */
  constant?: boolean;
}

export interface MethodDef {
  kind: 'method';
  overloads: Overload[];
}

export type MemberDef = PropertyDef | MethodDef;

export interface TypeMembers {
  instance?: Readonly<Record<string, MemberDef>>;
  static?: Readonly<Record<string, MemberDef>>;
  indexers?: readonly Signature[];
  /** Members APIM offers that the emulator does not implement; named as such in errors. */
  unsupported?: readonly string[];
}

// ---- small constructors that keep the tables readable ----

export function param(name: string, type: ClrType, extra?: Omit<ParamDef, 'name' | 'type'>): ParamDef {
  return { name, type, ...extra };
}

export function sig(params: ParamDef[], returns: ClrType, invoke: Invoke): Signature {
  return { params, returns, invoke };
}

export function method(...overloads: Overload[]): MethodDef {
  return { kind: 'method', overloads };
}

export function prop(type: ClrType, get: (target: unknown, frame: Frame) => unknown): PropertyDef {
  return { kind: 'property', type, get };
}

export function constant(type: ClrType, value: unknown): PropertyDef {
  return { kind: 'property', type, get: () => value, constant: true };
}

export function isGeneric(o: Overload): o is GenericOverload {
  return 'typeParams' in o;
}
