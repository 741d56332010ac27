/**
 * Type-checks a parsed policy expression and turns it into a tree of closures.
 *
 * Everything that can be decided once is decided here, at load time: name and member
 * resolution, overload selection, conversions, operator semantics. Evaluating a request then
 * only runs small pre-bound functions, with no re-parsing and no lookups by name. The static
 * checks mirror the C# compiler's, so a policy the real gateway would refuse to save (an
 * unknown member, `bool?` used as a condition, `JToken == string`) fails at load time here
 * too, with the position of the offending token.
 */
import type {
  Argument,
  Assignment,
  Binary,
  BinaryOp,
  Block,
  ConditionalAccess,
  ElementAccess,
  Expr,
  Identifier,
  Increment,
  InterpolatedString,
  Invocation,
  MemberAccess,
  ParsedPolicyExpression,
  Statement,
  TypeNode,
} from './ast.ts';
import { ExpressionError, ExpressionRuntimeError, divideByZero, nullReference } from './errors.ts';
import { ClrDateTime, ClrTimeSpan } from './clr-values.ts';
import { canUseAs, defaultValueOf, explicitConversion, implicitConversion, isInstanceOf, toDisplayString } from './conversions.ts';
import type { Apply, Conversion } from './conversions.ts';
import { align, formatWith, valueEquals } from './builtins-system.ts';
import { CONTEXT_VARIABLE } from './builtins-context.ts';
import { isGeneric } from './members.ts';
import type { Frame, MemberDef, OutRef, Overload, ParamDef, Signature } from './members.ts';
import { contextPathsFor, lookupIndexers, lookupInstanceMember, lookupStaticMember, lookupTypeName } from './registry.ts';
import {
  BOOL,
  CHAR,
  DATETIME,
  GUID,
  OBJECT,
  STRING,
  TIMESPAN,
  T_BOOL,
  T_CHAR,
  T_DATETIME,
  T_DOUBLE,
  T_INT,
  T_LONG,
  T_NULL,
  T_OBJECT,
  T_STRING,
  T_TIMESPAN,
  T_VOID,
  arrayOf,
  canBeNull,
  derivesFrom,
  isBool,
  isIntegral,
  isNonNullableValueType,
  isNumeric,
  isReferenceType,
  isString,
  named,
  nullableOf,
  promoteNumeric,
  sameType,
  typeName,
  underlyingDef,
} from './types.ts';
import type { ClrType, TypeDef } from './types.ts';

type Thunk = (frame: Frame) => unknown;

interface Value {
  kind: 'value';
  type: ClrType;
  run: Thunk;
  /** Set when the value is known at compile time. */
  constant?: { value: unknown };
}

interface TypeRef {
  kind: 'type';
  def: TypeDef;
}

type Bound = Value | TypeRef;

interface LocalSymbol {
  name: string;
  type: ClrType;
  slot: number;
}

class Scope {
  readonly parent: Scope | undefined;
  readonly locals = new Map<string, LocalSymbol>();
  constructor(parent: Scope | undefined) {
    this.parent = parent;
  }
  find(name: string): LocalSymbol | undefined {
    for (let s: Scope | undefined = this; s !== undefined; s = s.parent) {
      const found = s.locals.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** Marks "this statement completed without returning". */
const CONTINUE: unique symbol = Symbol('continue');
type StatementThunk = (frame: Frame) => unknown;

export interface CompiledProgram {
  /** Static type of the result (for a block: of its return statements; object if they differ). */
  type: ClrType;
  /** Number of local slots a Frame needs. */
  slots: number;
  run: Thunk;
}

export function compileProgram(parsed: ParsedPolicyExpression): CompiledProgram {
  const compiler = new Compiler(parsed.text);
  if (parsed.kind === 'expression') {
    const value = compiler.value(parsed.expr);
    if (value.type.kind === 'void') compiler.fail('the expression does not produce a value', parsed.expr.start);
    return { type: value.type, slots: compiler.slotCount, run: value.run };
  }
  return compiler.programBlock(parsed.body);
}

function constantValue(type: ClrType, value: unknown): Value {
  return { kind: 'value', type, run: () => value, constant: { value } };
}

function withConversion(v: Value, conversion: Conversion): Value {
  const apply = conversion.apply;
  if (apply === undefined) return v;
  if (v.constant !== undefined) {
    try {
      return constantValue(v.type, apply(v.constant.value));
    } catch {
      // A conversion that fails on a constant fails at run time, as in C# (e.g. (string)(object)1).
    }
  }
  const run = v.run;
  return { kind: 'value', type: v.type, run: (f) => apply(run(f)) };
}

class Compiler {
  readonly #text: string;
  slotCount = 0;
  #scope = new Scope(undefined);
  /** Innermost `?.` receiver last: its slot and the (non-null) type of the value in it. */
  readonly #receivers: { slot: number; type: ClrType }[] = [];
  /** Types of the return statements seen in a block. */
  readonly #returnTypes: ClrType[] = [];

  constructor(text: string) {
    this.#text = text;
  }

  fail(message: string, offset: number): never {
    throw new ExpressionError(message, this.#text, offset);
  }

  /** Wraps a thunk so a runtime error it raises records this source position (innermost wins). */
  #located(at: number, run: Thunk): Thunk {
    const text = this.#text;
    return (f) => {
      try {
        return run(f);
      } catch (e) {
        if (e instanceof ExpressionRuntimeError) e.locate(text, at);
        throw e;
      }
    };
  }

  #newSlot(): number {
    return this.slotCount++;
  }

  // ---- types ----

  #resolveType(node: TypeNode): ClrType {
    if (node.typeArgs.length > 0) this.fail(`generic type '${node.name}<...>' is not supported by this emulator`, node.start);
    const found = lookupTypeName(node.name);
    if (found.kind === 'unsupported') this.fail(`the type '${node.name}' is not supported by this emulator`, node.start);
    if (found.kind === 'unknown') this.fail(`the type or namespace name '${node.name}' could not be found`, node.start);
    const def = (found as { def: TypeDef }).def;
    let t: ClrType = named(def);
    if (node.nullable) {
      if (!def.valueType) this.fail(`'${def.name}?' is not valid: only value types can be nullable`, node.start);
      t = nullableOf(t);
    }
    for (let i = 0; i < node.arrayRank; i++) t = arrayOf(t);
    return t;
  }

  // ---- expressions ----

  value(e: Expr): Value {
    const b = this.#bound(e);
    if (b.kind === 'type') this.fail(`'${b.def.name}' is a type, which is not valid in the given context`, e.start);
    return b;
  }

  /** A value of a type implicitly convertible to `target` (C#'s "cannot implicitly convert" otherwise). */
  #valueAs(e: Expr, target: ClrType): Value {
    const v = this.value(e);
    const conversion = implicitConversion(v.type, target);
    if (conversion === undefined) {
      const explicit = explicitConversion(v.type, target) !== undefined ? '. An explicit conversion exists (are you missing a cast?)' : '';
      this.fail(`cannot implicitly convert type '${typeName(v.type)}' to '${typeName(target)}'${explicit}`, e.start);
    }
    return { ...withConversion(v, conversion), type: target };
  }

  #bound(e: Expr): Bound {
    switch (e.kind) {
      case 'Literal':
        switch (e.type) {
          case 'string':
            return constantValue(T_STRING, e.value);
          case 'char':
            return constantValue(T_CHAR, e.value);
          case 'int':
            return constantValue(T_INT, e.value);
          case 'long':
            return constantValue(T_LONG, e.value);
          case 'double':
            return constantValue(T_DOUBLE, e.value);
          case 'bool':
            return constantValue(T_BOOL, e.value);
          case 'null':
            return constantValue(T_NULL, null);
        }
        break;
      case 'InterpolatedString':
        return this.#interpolated(e);
      case 'Identifier':
        return this.#identifier(e);
      case 'MemberAccess':
        return this.#memberAccess(e);
      case 'Invocation':
        return this.#invocation(e);
      case 'ElementAccess':
        return this.#elementAccess(e);
      case 'ConditionalAccess':
        return this.#conditionalAccess(e);
      case 'ConditionalReceiver': {
        const receiver = this.#receivers[this.#receivers.length - 1];
        if (receiver === undefined) return this.fail('internal error: ?. receiver outside a conditional access', e.start);
        const slot = receiver.slot;
        return { kind: 'value', type: receiver.type, run: (f) => f.locals[slot] };
      }
      case 'Unary':
        return this.#unary(e.op, this.value(e.operand), e.start);
      case 'Binary':
        return this.#binary(e);
      case 'Conditional':
        return this.#conditional(e.test, e.whenTrue, e.whenFalse, e.start);
      case 'Cast': {
        const target = this.#resolveType(e.type);
        const operand = this.value(e.operand);
        const conversion = explicitConversion(operand.type, target);
        if (conversion === undefined) this.fail(`cannot convert type '${typeName(operand.type)}' to '${typeName(target)}'`, e.start);
        const converted = withConversion(operand, conversion);
        return { ...converted, type: target, run: converted.constant === undefined ? this.#located(e.start, converted.run) : converted.run };
      }
      case 'As': {
        const target = this.#resolveType(e.type);
        const operand = this.value(e.operand);
        if (!canUseAs(target)) {
          this.fail(`the as operator must be used with a reference type or nullable type ('${typeName(target)}' is a non-nullable value type)`, e.type.start);
        }
        const implicit = implicitConversion(operand.type, target);
        if (implicit !== undefined) return { ...withConversion(operand, implicit), type: target };
        const related = operand.type.kind === 'named' && (operand.type.def === OBJECT || (!operand.type.def.valueType && underlyingDef(target) !== undefined && derivesFrom(underlyingDef(target) as TypeDef, operand.type.def)));
        if (!related) this.fail(`cannot convert type '${typeName(operand.type)}' to '${typeName(target)}' via a reference conversion`, e.start);
        const run = operand.run;
        return { kind: 'value', type: target, run: (f) => {
          const v = run(f);
          return isInstanceOf(v, target) ? v : null;
        } };
      }
      case 'Is': {
        const target = this.#resolveType(e.type);
        const operand = this.value(e.operand);
        const run = operand.run;
        return { kind: 'value', type: T_BOOL, run: (f) => isInstanceOf(run(f), target) };
      }
      case 'Assignment':
        return this.#assignment(e);
      case 'Increment':
        return this.#increment(e);
    }
    return this.fail('unsupported expression', (e as Expr).start);
  }

  #identifier(e: Identifier): Bound {
    if (!e.isTypeKeyword) {
      const local = this.#scope.find(e.name);
      if (local !== undefined) {
        const slot = local.slot;
        return { kind: 'value', type: local.type, run: (f) => f.locals[slot] };
      }
      if (e.name === CONTEXT_VARIABLE.name) return { kind: 'value', type: CONTEXT_VARIABLE.type, run: (f) => f.ctx };
    }
    const found = lookupTypeName(e.name);
    if (found.kind === 'found') return { kind: 'type', def: found.def };
    if (found.kind === 'unsupported') this.fail(`the type '${e.name}' is not supported by this emulator`, e.start);
    const paths = contextPathsFor(e.name, CONTEXT_VARIABLE.type);
    const hint =
      paths.length > 0
        ? `; policy expressions reach request data through the context variable: did you mean ${paths.map((p) => `'${p}'`).join(' or ')}?`
        : e.name.toLowerCase() === 'context'
          ? "; did you mean 'context'?"
          : '';
    return this.fail(`the name '${e.name}' does not exist in the current context${hint}`, e.start);
  }

  /** `A.B.C` written as a dotted name, for resolving full type names like System.String. */
  #dottedName(e: Expr): string | undefined {
    if (e.kind === 'Identifier') return e.name;
    if (e.kind === 'MemberAccess' && e.typeArgs.length === 0) {
      const left = this.#dottedName(e.target);
      return left === undefined ? undefined : `${left}.${e.name}`;
    }
    return undefined;
  }

  /** Resolves the target of a member access: a value, or a type for static access. */
  #target(target: Expr): Bound {
    if (target.kind === 'MemberAccess') {
      const dotted = this.#dottedName(target);
      const root = dotted?.split('.')[0];
      if (dotted !== undefined && root !== undefined && this.#scope.find(root) === undefined && root !== CONTEXT_VARIABLE.name) {
        const found = lookupTypeName(dotted);
        if (found.kind === 'found') return { kind: 'type', def: found.def };
        if (found.kind === 'unsupported') this.fail(`the type '${dotted}' is not supported by this emulator`, target.start);
      }
    }
    return this.#bound(target);
  }

  #lookupMember(target: Bound, name: string, at: number): MemberDef {
    const found = target.kind === 'type' ? lookupStaticMember(target.def, name) : lookupInstanceMember(target.type, name);
    const owner = target.kind === 'type' ? target.def.name : typeName(target.type);
    if (found.kind === 'found') return found.member;
    if (target.kind === 'value' && (target.type.kind === 'null' || target.type.kind === 'void')) {
      this.fail(`cannot access member '${name}' of '${typeName(target.type)}'`, at);
    }
    if (found.kind === 'unsupported') this.fail(`'${owner}.${name}' is not supported by this emulator`, at);
    if (target.kind === 'type') {
      const instance = lookupInstanceMember(named(target.def), name);
      if (instance.kind === 'found') this.fail(`'${owner}.${name}' is an instance member: call it on a value, not on the type '${owner}'`, at);
    } else if (target.type.kind === 'named') {
      const statics = lookupStaticMember(target.type.def, name);
      if (statics.kind === 'found') this.fail(`'${owner}.${name}' is static: write '${owner}.${name}', not on a value`, at);
    }
    const suggestion = (found as { suggestion: string | undefined }).suggestion;
    return this.fail(`'${owner}' does not contain a definition for '${name}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`, at);
  }

  /** Null-checks the receiver of an instance member on a reference type (NullReferenceException). */
  #receiverThunk(target: Value): Thunk {
    const run = target.run;
    if (!isReferenceType(target.type)) return run;
    return (f) => {
      const t = run(f);
      if (t === null || t === undefined) throw nullReference();
      return t;
    };
  }

  #memberAccess(e: MemberAccess): Bound {
    const target = this.#target(e.target);
    if (e.typeArgs.length > 0) this.fail(`'${e.name}' with type arguments must be called`, e.nameStart);
    const member = this.#lookupMember(target, e.name, e.nameStart);
    if (member.kind === 'method') this.fail(`'${e.name}' is a method: call it with '()'`, e.nameStart);
    const get = member.get;
    if (target.kind === 'type') {
      if (member.constant === true) return constantValue(member.type, get(undefined, undefined as unknown as Frame));
      return { kind: 'value', type: member.type, run: (f) => get(undefined, f) };
    }
    const receiver = this.#receiverThunk(target);
    return { kind: 'value', type: member.type, run: this.#located(e.nameStart, (f) => get(receiver(f), f)) };
  }

  #invocation(e: Invocation): Value {
    const callee = e.callee;
    if (callee.kind !== 'MemberAccess') {
      if (callee.kind === 'Identifier') {
        const local = callee.isTypeKeyword ? undefined : this.#scope.find(callee.name);
        if (local !== undefined) this.fail(`'${callee.name}' is a variable but is used like a method`, callee.start);
        this.fail(`the name '${callee.name}' does not exist in the current context`, callee.start);
      }
      this.fail('only methods can be called', callee.start);
    }
    const target = this.#target(callee.target);
    const member = this.#lookupMember(target, callee.name, callee.nameStart);
    if (member.kind !== 'method') this.fail(`'${callee.name}' is a property, not a method: remove the '()'`, callee.nameStart);
    const typeArgs = callee.typeArgs.map((t) => this.#resolveType(t));
    const owner = target.kind === 'type' ? target.def.name : typeName(target.type);
    const call = this.#resolveCall(member.overloads, typeArgs, e.args, `${owner}.${callee.name}`, callee.name, callee.nameStart);
    const receiver = target.kind === 'type' ? (): unknown => undefined : call.extension ? target.run : this.#receiverThunk(target);
    return { kind: 'value', type: call.returns, run: this.#located(callee.nameStart, this.#callThunk(receiver, call)) };
  }

  #elementAccess(e: ElementAccess): Value {
    const target = this.value(e.target);
    const indexers = lookupIndexers(target.type);
    if (indexers.length === 0) this.fail(`cannot apply indexing with [] to an expression of type '${typeName(target.type)}'`, e.start);
    const call = this.#resolveCall(indexers, [], e.args, `${typeName(target.type)} indexer`, 'this[]', e.start);
    return { kind: 'value', type: call.returns, run: this.#located(e.start, this.#callThunk(this.#receiverThunk(target), call)) };
  }

  #conditionalAccess(e: ConditionalAccess): Value {
    const target = this.value(e.target);
    if (isNonNullableValueType(target.type)) {
      this.fail(`operator '?' cannot be applied to operand of type '${typeName(target.type)}'`, e.target.end);
    }
    const receiverType = target.type.kind === 'nullable' ? named(target.type.underlying) : target.type;
    const slot = this.#newSlot();
    this.#receivers.push({ slot, type: receiverType });
    const inner = this.value(e.whenNotNull);
    this.#receivers.pop();
    const type = inner.type.kind === 'void' ? T_VOID : nullableOf(inner.type);
    const runTarget = target.run;
    const runInner = inner.run;
    return {
      kind: 'value',
      type,
      run: (f) => {
        const t = runTarget(f);
        if (t === null || t === undefined) return null;
        f.locals[slot] = t;
        return runInner(f);
      },
    };
  }

  // ---- calls ----

  /**
   * C# overload resolution, simplified: candidates whose parameters accept the arguments
   * (positional, named, optional, params, out) compete on the total cost of their argument
   * conversions; on a tie a non-generic method beats a generic one, as in C#.
   */
  #resolveCall(overloads: readonly Overload[], typeArgs: ClrType[], args: Argument[], display: string, shortName: string, at: number): BoundCall {
    const firstNamed = args.findIndex((a) => a.name !== undefined);
    if (firstNamed >= 0 && args.slice(firstNamed).some((a) => a.name === undefined)) {
      this.fail('named arguments must appear after all positional arguments', (args.find((a, i) => i > firstNamed && a.name === undefined) as Argument).start);
    }
    const values: (Value | undefined)[] = args.map((a) => (a.out === undefined ? this.value(a.value) : undefined));
    const argTypes = values.map((v) => v?.type ?? T_VOID);

    const candidates: { signature: Signature; generic: boolean }[] = [];
    let instantiationError: string | undefined;
    for (const o of overloads) {
      if (isGeneric(o)) {
        let actual = typeArgs;
        if (actual.length === 0) {
          const inferred = o.infer?.(argTypes);
          if (inferred === undefined) continue;
          actual = inferred;
        }
        if (actual.length !== o.typeParams) continue;
        const instance = o.instantiate(actual);
        if (typeof instance === 'string') {
          instantiationError = instance;
          continue;
        }
        candidates.push({ signature: instance, generic: true });
      } else if (typeArgs.length === 0) {
        candidates.push({ signature: o, generic: false });
      }
    }
    if (candidates.length === 0) {
      if (instantiationError !== undefined) this.fail(instantiationError, at);
      if (typeArgs.length > 0) this.fail(`the method '${display}' cannot be used with ${typeArgs.length} type argument(s)`, at);
      if (overloads.some(isGeneric)) this.fail(`the type arguments for method '${display}' cannot be inferred from the usage: specify them, e.g. ${shortName}<string>(...)`, at);
    }

    let best: { plan: ArgPlan; signature: Signature; cost: number; generic: boolean } | undefined;
    let firstProblem: { message: string; at: number } | undefined;
    for (const c of candidates) {
      const plan = this.#plan(c.signature, args, values);
      if ('problem' in plan) {
        if (firstProblem === undefined || plan.arityOk) firstProblem = { message: plan.problem, at: plan.at ?? at };
        continue;
      }
      const cost = plan.cost;
      if (best === undefined || cost < best.cost || (cost === best.cost && best.generic && !c.generic)) {
        best = { plan, signature: c.signature, cost, generic: c.generic };
      }
    }
    if (best === undefined) {
      const arityMatches = candidates.some((c) => this.#arityFits(c.signature, args.length));
      if (!arityMatches) this.fail(`no overload for '${display}' takes ${args.length} argument${args.length === 1 ? '' : 's'}`, at);
      return this.fail(firstProblem?.message ?? `no overload of '${display}' matches these arguments`, firstProblem?.at ?? at);
    }
    return this.#bindPlan(best.signature, best.plan, args, values);
  }

  #arityFits(s: Signature, count: number): boolean {
    const required = s.params.filter((p) => p.optional !== true && p.params !== true).length;
    const hasParams = s.params.some((p) => p.params === true);
    return count >= required && (hasParams || count <= s.params.length);
  }

  /** Matches arguments to one signature's parameters, or says why they do not fit. */
  #plan(s: Signature, args: Argument[], values: (Value | undefined)[]): ArgPlan | PlanProblem {
    const slots: (PlannedArg | undefined)[] = new Array(s.params.length).fill(undefined);
    let cost = 0;
    const paramsIndex = s.params.findIndex((p) => p.params === true);
    const arityOk = this.#arityFits(s, args.length);
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as Argument;
      let index: number;
      if (arg.name !== undefined) {
        index = s.params.findIndex((p) => p.name === arg.name);
        if (index < 0) return { problem: `'${arg.name}' is not a parameter of this method`, at: arg.start, arityOk: true };
        if (slots[index] !== undefined) return { problem: `the parameter '${arg.name}' is given twice`, at: arg.start, arityOk: true };
      } else {
        index = paramsIndex >= 0 && i >= paramsIndex ? paramsIndex : i;
        if (index >= s.params.length) return { problem: 'too many arguments', at: arg.start, arityOk: false };
      }
      const p = s.params[index] as ParamDef;
      if (p.out === true || arg.out !== undefined) {
        if (p.out !== true) return { problem: `argument ${i + 1} must not be passed with the 'out' keyword`, at: arg.start, arityOk };
        if (arg.out === undefined) return { problem: `argument ${i + 1} must be passed with the 'out' keyword`, at: arg.start, arityOk };
        const declared = arg.out.declare;
        if (declared !== undefined && declared !== 'var' && !sameType(this.#resolveType(declared), p.type)) {
          return { problem: `argument ${i + 1}: cannot convert from 'out ${declared.name}' to 'out ${typeName(p.type)}'`, at: arg.start, arityOk };
        }
        if (declared === undefined) {
          const local = this.#scope.find((arg.value as Identifier).name);
          if (local === undefined) return { problem: `the name '${(arg.value as Identifier).name}' does not exist in the current context`, at: arg.value.start, arityOk };
          if (!sameType(local.type, p.type)) return { problem: `argument ${i + 1}: cannot convert from 'out ${typeName(local.type)}' to 'out ${typeName(p.type)}'`, at: arg.start, arityOk };
        }
        slots[index] = { kind: 'out', argIndex: i };
        continue;
      }
      const v = values[i] as Value;
      if (p.params === true) {
        const existing = slots[index];
        const element = (p.type as { element: ClrType }).element;
        // Normal form: a single array argument passed as the array itself.
        const whole = existing === undefined && arg.name === undefined && i === args.length - 1 ? implicitConversion(v.type, p.type) : undefined;
        if (whole !== undefined && v.type.kind !== 'null') {
          slots[index] = { kind: 'arg', argIndex: i, conversion: whole };
          cost += whole.cost;
          continue;
        }
        const conversion = implicitConversion(v.type, element);
        if (conversion === undefined) return { problem: `argument ${i + 1}: cannot convert from '${typeName(v.type)}' to '${typeName(element)}'`, at: arg.start, arityOk };
        const list = existing?.kind === 'params' ? existing : { kind: 'params' as const, items: [] as { argIndex: number; conversion: Conversion }[] };
        list.items.push({ argIndex: i, conversion });
        slots[index] = list;
        cost += conversion.cost + 1;
        continue;
      }
      const conversion = implicitConversion(v.type, p.type);
      if (conversion === undefined) {
        return { problem: `argument ${i + 1}: cannot convert from '${typeName(v.type)}' to '${typeName(p.type)}'`, at: arg.start, arityOk };
      }
      slots[index] = { kind: 'arg', argIndex: i, conversion };
      cost += conversion.cost;
    }
    for (let i = 0; i < s.params.length; i++) {
      if (slots[i] !== undefined) continue;
      const p = s.params[i] as ParamDef;
      if (p.params === true) slots[i] = { kind: 'params', items: [] };
      else if (p.optional === true) slots[i] = { kind: 'default', value: p.defaultValue ?? null };
      else return { problem: `there is no argument given for the required parameter '${p.name}'`, at: undefined, arityOk: false };
    }
    return { slots: slots as PlannedArg[], cost };
  }

  /** Wires the chosen signature's argument thunks (reusing the values compiled for resolution). */
  #bindPlan(s: Signature, plan: ArgPlan, args: Argument[], values: (Value | undefined)[]): BoundCall {
    const thunks: Thunk[] = plan.slots.map((slot, paramIndex) => {
      switch (slot.kind) {
        case 'default': {
          const value = slot.value;
          return () => value;
        }
        case 'arg':
          return withConversion(values[slot.argIndex] as Value, slot.conversion).run;
        case 'params': {
          const items = slot.items.map((item) => withConversion(values[item.argIndex] as Value, item.conversion).run);
          return (f) => items.map((run) => run(f));
        }
        case 'out': {
          const arg = args[slot.argIndex] as Argument;
          const p = s.params[paramIndex] as ParamDef;
          const name = (arg.value as Identifier).name;
          const declared = arg.out?.declare;
          const local = declared === undefined ? (this.#scope.find(name) as LocalSymbol) : this.#declare(name, p.type, arg.value.start);
          const localSlot = local.slot;
          return (f): OutRef => ({
            set(v: unknown): void {
              f.locals[localSlot] = v;
            },
          });
        }
      }
    });
    return { returns: s.returns, invoke: s.invoke, args: thunks, extension: s.extension === true };
  }

  #callThunk(receiver: Thunk, call: BoundCall): Thunk {
    const invoke = call.invoke;
    const args = call.args;
    switch (args.length) {
      case 0:
        return (f) => invoke(receiver(f), [], f);
      case 1: {
        const a0 = args[0] as Thunk;
        return (f) => {
          const t = receiver(f);
          return invoke(t, [a0(f)], f);
        };
      }
      case 2: {
        const a0 = args[0] as Thunk;
        const a1 = args[1] as Thunk;
        return (f) => {
          const t = receiver(f);
          return invoke(t, [a0(f), a1(f)], f);
        };
      }
      default:
        return (f) => {
          const t = receiver(f);
          return invoke(t, args.map((a) => a(f)), f);
        };
    }
  }

  // ---- operators ----

  #unary(op: '!' | '-' | '+' | '~', operand: Value, at: number): Value {
    const t = operand.type;
    const run = operand.run;
    const lifted = t.kind === 'nullable';
    const def = underlyingDef(t);
    let type: ClrType | undefined;
    let apply: Apply | undefined;
    if (op === '!' && def === BOOL) {
      type = t;
      apply = (v) => !(v as boolean);
    } else if ((op === '-' || op === '+') && def?.numeric !== undefined) {
      type = t;
      apply = op === '+' ? (v) => v : def.numeric === 'int' ? (v) => -(v as number) | 0 : (v) => -(v as number);
    } else if (op === '-' && def === TIMESPAN) {
      type = t;
      apply = (v) => new ClrTimeSpan(-(v as ClrTimeSpan).ms);
    } else if (op === '~' && (def?.numeric === 'int' || def?.numeric === 'long')) {
      type = t;
      apply = def.numeric === 'int' ? (v) => ~(v as number) : (v) => -(v as number) - 1;
    }
    if (type === undefined || apply === undefined) return this.fail(`operator '${op}' cannot be applied to operand of type '${typeName(t)}'`, at);
    const f1 = apply;
    if (operand.constant !== undefined && operand.constant.value !== null) return constantValue(type, f1(operand.constant.value));
    return { kind: 'value', type, run: lifted ? (f) => {
      const v = run(f);
      return v === null ? null : f1(v);
    } : (f) => f1(run(f)) };
  }

  #binary(e: Binary): Value {
    if (e.op === '&&' || e.op === '||') {
      const l = this.value(e.left);
      const r = this.value(e.right);
      if (!isBool(l.type) || !isBool(r.type)) this.#operatorError(e.op, l.type, r.type, e.opStart);
      const lr = l.run;
      const rr = r.run;
      return { kind: 'value', type: T_BOOL, run: e.op === '&&' ? (f) => (lr(f) as boolean) && (rr(f) as boolean) : (f) => (lr(f) as boolean) || (rr(f) as boolean) };
    }
    if (e.op === '??') return this.#coalesce(e);
    return this.#binaryValues(e.op, this.value(e.left), this.value(e.right), e.opStart);
  }

  #operatorError(op: string, l: ClrType, r: ClrType, at: number): never {
    this.fail(`operator '${op}' cannot be applied to operands of type '${typeName(l)}' and '${typeName(r)}'`, at);
  }

  #binaryValues(op: BinaryOp, l: Value, r: Value, at: number): Value {
    switch (op) {
      case '==':
      case '!=':
        return this.#equality(op, l, r, at);
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.#relational(op, l, r, at);
      case '+':
        if (isString(l.type) || isString(r.type)) {
          if (l.type.kind === 'void' || r.type.kind === 'void') this.#operatorError(op, l.type, r.type, at);
          return this.#concat(l, r);
        }
        return this.#arithmetic(op, l, r, at);
      case '-':
      case '*':
      case '/':
      case '%':
        return this.#arithmetic(op, l, r, at);
      case '&':
      case '|':
      case '^':
        return this.#bitwise(op, l, r, at);
      default:
        return this.fail(`operator '${op}' is not supported here`, at);
    }
  }

  #concat(l: Value, r: Value): Value {
    const ls = this.#stringifier(l);
    const rs = this.#stringifier(r);
    if (l.constant !== undefined && r.constant !== undefined) {
      return constantValue(T_STRING, ls(l.constant.value) + rs(r.constant.value));
    }
    const lr = l.run;
    const rr = r.run;
    return { kind: 'value', type: T_STRING, run: (f) => ls(lr(f)) + rs(rr(f)) };
  }

  /** How a value of this static type becomes text in concatenation (ToString, null → ""). */
  #stringifier(v: Value): (x: unknown) => string {
    if (isString(v.type)) return (x) => (x as string | null) ?? '';
    const integral = isIntegral(v.type);
    return (x) => toDisplayString(x, integral);
  }

  #equality(op: '==' | '!=', l: Value, r: Value, at: number): Value {
    const lt = l.type;
    const rt = r.type;
    const ld = underlyingDef(lt);
    const rd = underlyingDef(rt);
    let equals: ((a: unknown, b: unknown) => boolean) | undefined;
    const strict = (a: unknown, b: unknown): boolean => a === b;
    if (lt.kind === 'null' && rt.kind === 'null') equals = strict;
    else if (isNumeric(lt) && isNumeric(rt)) equals = strict;
    else if (ld !== undefined && ld === rd && (ld === BOOL || ld === CHAR || ld.isEnum || ld === STRING)) equals = strict;
    else if (ld !== undefined && ld === rd && (ld === DATETIME || ld === TIMESPAN || ld === GUID)) equals = (a, b) => (a === null || b === null ? a === b : valueEquals(a, b));
    else if ((lt.kind === 'null' && canBeNull(rt)) || (rt.kind === 'null' && canBeNull(lt))) equals = strict;
    else if ((lt.kind === 'null' && isNonNullableValueType(rt)) || (rt.kind === 'null' && isNonNullableValueType(lt))) equals = () => false;
    else if (isReferenceType(lt) && isReferenceType(rt) && (this.#referenceRelated(lt, rt) || this.#referenceRelated(rt, lt))) equals = strict;
    if (equals === undefined) return this.#operatorError(op, lt, rt, at);
    const eq = equals;
    const lr = l.run;
    const rr = r.run;
    if (l.constant !== undefined && r.constant !== undefined) {
      const result = eq(l.constant.value, r.constant.value);
      return constantValue(T_BOOL, op === '==' ? result : !result);
    }
    return { kind: 'value', type: T_BOOL, run: op === '==' ? (f) => eq(lr(f), rr(f)) : (f) => !eq(lr(f), rr(f)) };
  }

  /** Reference equality needs one operand's type to convert to the other's by reference. */
  #referenceRelated(from: ClrType, to: ClrType): boolean {
    if (to.kind === 'named' && to.def === OBJECT) return true;
    if (from.kind === 'named' && to.kind === 'named') return derivesFrom(from.def, to.def);
    return sameType(from, to);
  }

  #relational(op: '<' | '<=' | '>' | '>=', l: Value, r: Value, at: number): Value {
    const ld = underlyingDef(l.type);
    const rd = underlyingDef(r.type);
    let key: ((v: unknown) => number | string) | undefined;
    if (isNumeric(l.type) && isNumeric(r.type)) key = (v) => v as number;
    else if (ld !== undefined && ld === rd && (ld === DATETIME || ld === TIMESPAN)) key = (v) => (v as { ms: number }).ms;
    else if (ld === CHAR && rd === CHAR) key = (v) => v as string;
    if (key === undefined) return this.#operatorError(op, l.type, r.type, at);
    const k = key;
    const lr = l.run;
    const rr = r.run;
    const compare = {
      '<': (a: number | string, b: number | string) => a < b,
      '<=': (a: number | string, b: number | string) => a <= b,
      '>': (a: number | string, b: number | string) => a > b,
      '>=': (a: number | string, b: number | string) => a >= b,
    }[op];
    // Lifted comparisons with a null operand are false, as in C#.
    return {
      kind: 'value',
      type: T_BOOL,
      run: (f) => {
        const a = lr(f);
        const b = rr(f);
        return a !== null && b !== null && compare(k(a), k(b));
      },
    };
  }

  #arithmetic(op: '+' | '-' | '*' | '/' | '%', l: Value, r: Value, at: number): Value {
    const ld = underlyingDef(l.type);
    const rd = underlyingDef(r.type);
    const lifted = l.type.kind === 'nullable' || r.type.kind === 'nullable';
    let type: ClrType | undefined;
    let apply: ((a: unknown, b: unknown) => unknown) | undefined;
    if (ld?.numeric !== undefined && rd?.numeric !== undefined) {
      const result = promoteNumeric(ld, rd);
      type = named(result);
      apply = numericOperator(op, result.numeric as 'int' | 'long' | 'double');
    } else if (ld === DATETIME && rd === TIMESPAN && (op === '+' || op === '-')) {
      type = T_DATETIME;
      apply = op === '+' ? (a, b) => new ClrDateTime((a as ClrDateTime).ms + (b as ClrTimeSpan).ms) : (a, b) => new ClrDateTime((a as ClrDateTime).ms - (b as ClrTimeSpan).ms);
    } else if (ld === DATETIME && rd === DATETIME && op === '-') {
      type = T_TIMESPAN;
      apply = (a, b) => new ClrTimeSpan((a as ClrDateTime).ms - (b as ClrDateTime).ms);
    } else if (ld === TIMESPAN && rd === TIMESPAN && (op === '+' || op === '-')) {
      type = T_TIMESPAN;
      apply = op === '+' ? (a, b) => new ClrTimeSpan((a as ClrTimeSpan).ms + (b as ClrTimeSpan).ms) : (a, b) => new ClrTimeSpan((a as ClrTimeSpan).ms - (b as ClrTimeSpan).ms);
    }
    if (type === undefined || apply === undefined) return this.#operatorError(op, l.type, r.type, at);
    const fn = apply;
    const lr = l.run;
    const rr = r.run;
    if (lifted) {
      return {
        kind: 'value',
        type: nullableOf(type),
        run: this.#located(at, (f) => {
          const a = lr(f);
          const b = rr(f);
          return a === null || b === null ? null : fn(a, b);
        }),
      };
    }
    if (l.constant !== undefined && r.constant !== undefined) {
      try {
        return constantValue(type, fn(l.constant.value, r.constant.value));
      } catch {
        this.fail('division by constant zero', at);
      }
    }
    return { kind: 'value', type, run: this.#located(at, (f) => fn(lr(f), rr(f))) };
  }

  #bitwise(op: '&' | '|' | '^', l: Value, r: Value, at: number): Value {
    const lr = l.run;
    const rr = r.run;
    if (isBool(l.type) && isBool(r.type)) {
      const fn = op === '&' ? (a: boolean, b: boolean) => a && b : op === '|' ? (a: boolean, b: boolean) => a || b : (a: boolean, b: boolean) => a !== b;
      // Both operands are always evaluated (no short circuit), as C# does for & and |.
      return { kind: 'value', type: T_BOOL, run: (f) => {
        const a = lr(f) as boolean;
        const b = rr(f) as boolean;
        return fn(a, b);
      } };
    }
    const ld = underlyingDef(l.type);
    const rd = underlyingDef(r.type);
    if (l.type.kind === 'named' && r.type.kind === 'named' && ld?.numeric === 'int' && rd?.numeric === 'int') {
      const fn = op === '&' ? (a: number, b: number) => a & b : op === '|' ? (a: number, b: number) => a | b : (a: number, b: number) => a ^ b;
      return { kind: 'value', type: T_INT, run: (f) => fn(lr(f) as number, rr(f) as number) };
    }
    return this.#operatorError(op, l.type, r.type, at);
  }

  #coalesce(e: Binary): Value {
    const l = this.value(e.left);
    const r = this.value(e.right);
    const lt = l.type;
    if (isNonNullableValueType(lt) || lt.kind === 'void') this.#operatorError('??', lt, r.type, e.opStart);
    let type: ClrType | undefined;
    let right = r;
    if (lt.kind === 'null') {
      type = r.type;
    } else {
      // For T? ?? x the result is T when x converts to T (so `(bool?)x ?? false` is a bool).
      const a0 = lt.kind === 'nullable' ? named(lt.underlying) : lt;
      const toA0 = implicitConversion(r.type, a0);
      const toA = implicitConversion(r.type, lt);
      if (toA0 !== undefined) {
        type = a0;
        right = withConversion(r, toA0);
      } else if (toA !== undefined) {
        type = lt;
        right = withConversion(r, toA);
      } else {
        const leftToRight = implicitConversion(a0, r.type);
        if (leftToRight !== undefined) {
          type = r.type;
          const leftApply = leftToRight.apply;
          const lr0 = l.run;
          const rr0 = r.run;
          return { kind: 'value', type, run: (f) => {
            const v = lr0(f);
            return v === null || v === undefined ? rr0(f) : leftApply === undefined ? v : leftApply(v);
          } };
        }
      }
    }
    if (type === undefined) return this.#operatorError('??', lt, r.type, e.opStart);
    const lr = l.run;
    const rr = right.run;
    return { kind: 'value', type, run: (f) => {
      const v = lr(f);
      return v === null || v === undefined ? rr(f) : v;
    } };
  }

  #conditional(testNode: Expr, whenTrueNode: Expr, whenFalseNode: Expr, at: number): Value {
    const test = this.#condition(testNode);
    const a = this.value(whenTrueNode);
    const b = this.value(whenFalseNode);
    let type: ClrType | undefined;
    let ar = a;
    let br = b;
    if (sameType(a.type, b.type)) {
      type = a.type;
    } else {
      const aToB = implicitConversion(a.type, b.type);
      const bToA = implicitConversion(b.type, a.type);
      if (aToB !== undefined && bToA === undefined) {
        type = b.type;
        ar = withConversion(a, aToB);
      } else if (bToA !== undefined && aToB === undefined) {
        type = a.type;
        br = withConversion(b, bToA);
      }
    }
    if (type === undefined || type.kind === 'void') {
      return this.fail(
        `type of conditional expression cannot be determined because there is no implicit conversion between '${typeName(a.type)}' and '${typeName(b.type)}'`,
        at,
      );
    }
    const t = test.run;
    const x = ar.run;
    const y = br.run;
    return { kind: 'value', type, run: (f) => ((t(f) as boolean) ? x(f) : y(f)) };
  }

  /** A condition (if, ?:) must be bool; bool? needs an explicit comparison or cast, as in C#. */
  #condition(e: Expr): Value {
    return this.#valueAs(e, T_BOOL);
  }

  #interpolated(e: InterpolatedString): Value {
    const pieces: ((f: Frame) => string)[] = [];
    let allConstant = true;
    for (const part of e.parts) {
      if (part.kind === 'text') {
        const text = part.value;
        pieces.push(() => text);
        continue;
      }
      allConstant = false;
      const v = this.value(part.expr);
      if (v.type.kind === 'void') this.fail('an interpolation hole must produce a value', part.expr.start);
      let width = 0;
      if (part.alignment !== undefined) {
        const alignment = this.value(part.alignment);
        if (alignment.constant === undefined || !isIntegral(alignment.type)) this.fail('the alignment of an interpolation hole must be a constant integer', part.alignment.start);
        width = alignment.constant.value as number;
      }
      const run = v.run;
      const format = part.format;
      const integral = isIntegral(v.type);
      const stringify = isString(v.type) && format === undefined ? (x: unknown) => (x as string | null) ?? '' : (x: unknown) => formatWith(x, format, integral);
      const w = width;
      pieces.push(this.#located(part.expr.start, (f) => align(stringify(run(f)), w)) as (f: Frame) => string);
    }
    if (allConstant) return constantValue(T_STRING, pieces.map((p) => p(undefined as unknown as Frame)).join(''));
    return { kind: 'value', type: T_STRING, run: (f) => {
      let out = '';
      for (const p of pieces) out += p(f);
      return out;
    } };
  }

  // ---- assignment and locals ----

  #localTarget(target: Expr, what: string): LocalSymbol {
    if (target.kind === 'Identifier' && !target.isTypeKeyword) {
      const local = this.#scope.find(target.name);
      if (local !== undefined) return local;
      if (target.name === CONTEXT_VARIABLE.name) this.fail("'context' is read-only and cannot be assigned", target.start);
      return this.fail(`the name '${target.name}' does not exist in the current context`, target.start);
    }
    return this.fail(`${what}: only local variables can be assigned in a policy expression (the context is read-only)`, target.start);
  }

  #assignment(e: Assignment): Value {
    if (e.op === '??=') this.fail("'??=' requires C# 8; APIM policy expressions are C# 7", e.start);
    const local = this.#localTarget(e.target, 'the left-hand side of an assignment must be a variable');
    const slot = local.slot;
    let value: Value;
    if (e.op === '=') {
      value = this.#valueAs(e.value, local.type);
    } else {
      const op = e.op.slice(0, 1) as BinaryOp;
      const current: Value = { kind: 'value', type: local.type, run: (f) => f.locals[slot] };
      const result = this.#binaryValues(op, current, this.value(e.value), e.start);
      const conversion = implicitConversion(result.type, local.type) ?? (isNumeric(result.type) ? explicitConversion(result.type, local.type) : undefined);
      if (conversion === undefined) this.fail(`cannot implicitly convert type '${typeName(result.type)}' to '${typeName(local.type)}'`, e.start);
      value = withConversion(result, conversion);
    }
    const run = value.run;
    return { kind: 'value', type: local.type, run: (f) => (f.locals[slot] = run(f)) };
  }

  #increment(e: Increment): Value {
    const local = this.#localTarget(e.operand, `operator '${e.op}' needs a variable`);
    const def = underlyingDef(local.type);
    if (def?.numeric === undefined || local.type.kind !== 'named') this.fail(`operator '${e.op}' cannot be applied to operand of type '${typeName(local.type)}'`, e.start);
    const slot = local.slot;
    const delta = e.op === '++' ? 1 : -1;
    const wrap = def.numeric === 'int' ? (n: number) => n | 0 : (n: number) => n;
    return {
      kind: 'value',
      type: local.type,
      run: e.prefix
        ? (f) => (f.locals[slot] = wrap((f.locals[slot] as number) + delta))
        : (f) => {
            const old = f.locals[slot] as number;
            f.locals[slot] = wrap(old + delta);
            return old;
          },
    };
  }

  #declare(name: string, type: ClrType, at: number): LocalSymbol {
    if (name === CONTEXT_VARIABLE.name) this.fail("a local variable named 'context' would hide the context variable", at);
    if (this.#scope.find(name) !== undefined) this.fail(`a local variable named '${name}' is already defined in this scope`, at);
    const local: LocalSymbol = { name, type, slot: this.#newSlot() };
    this.#scope.locals.set(name, local);
    return local;
  }

  // ---- statements ----

  programBlock(body: Block): CompiledProgram {
    const run = this.#block(body);
    if (this.#canCompleteNormally(body)) this.fail('not all code paths return a value: a @{ } block must end with a return statement', Math.max(body.end - 1, body.start));
    const types = this.#returnTypes;
    const first = types[0] ?? T_OBJECT;
    const type = types.every((t) => sameType(t, first)) ? first : T_OBJECT;
    return { type, slots: this.slotCount, run: (f) => run(f) };
  }

  #block(block: Block): StatementThunk {
    const outer = this.#scope;
    this.#scope = new Scope(outer);
    try {
      const statements = block.statements.map((s) => this.#statement(s));
      if (statements.length === 1) return statements[0] as StatementThunk;
      return (f) => {
        for (const s of statements) {
          const r = s(f);
          if (r !== CONTINUE) return r;
        }
        return CONTINUE;
      };
    } finally {
      this.#scope = outer;
    }
  }

  /** An if/else branch gets its own scope even without braces. */
  #embedded(s: Statement): StatementThunk {
    if (s.kind === 'Block') return this.#block(s);
    return this.#block({ kind: 'Block', statements: [s], start: s.start, end: s.end });
  }

  #statement(s: Statement): StatementThunk {
    switch (s.kind) {
      case 'Block':
        return this.#block(s);
      case 'Empty':
        return () => CONTINUE;
      case 'Return': {
        if (s.value === undefined) this.fail('a policy expression block must return a value: write return <expression>;', s.start);
        const v = this.value(s.value);
        if (v.type.kind === 'void') this.fail('the returned expression does not produce a value', s.value.start);
        this.#returnTypes.push(v.type);
        const run = v.run;
        return (f) => run(f);
      }
      case 'If': {
        const test = this.#condition(s.test).run;
        const then = this.#embedded(s.then);
        const otherwise = s.otherwise === undefined ? undefined : this.#embedded(s.otherwise);
        if (otherwise === undefined) return (f) => ((test(f) as boolean) ? then(f) : CONTINUE);
        return (f) => ((test(f) as boolean) ? then(f) : otherwise(f));
      }
      case 'ExpressionStatement': {
        const e = s.expr;
        const allowed = e.kind === 'Assignment' || e.kind === 'Invocation' || e.kind === 'Increment' || (e.kind === 'ConditionalAccess' && this.#endsInCall(e));
        if (!allowed) this.fail('only assignment, call, increment and decrement expressions can be used as a statement', e.start);
        const run = this.value(e).run;
        return (f) => {
          run(f);
          return CONTINUE;
        };
      }
      case 'LocalDeclaration':
        return this.#declaration(s);
    }
  }

  #endsInCall(e: ConditionalAccess): boolean {
    const inner = e.whenNotNull;
    return inner.kind === 'Invocation' || (inner.kind === 'ConditionalAccess' && this.#endsInCall(inner));
  }

  #declaration(s: Extract<Statement, { kind: 'LocalDeclaration' }>): StatementThunk {
    const declared = s.type === 'var' ? undefined : this.#resolveType(s.type);
    if (s.type === 'var' && s.declarators.length > 1) this.fail("implicitly-typed variables cannot have multiple declarators", s.start);
    const inits: Thunk[] = [];
    for (const d of s.declarators) {
      let type: ClrType;
      let init: Thunk;
      if (declared === undefined) {
        if (d.init === undefined) this.fail('implicitly-typed variables must be initialized', d.start);
        const v = this.value(d.init);
        if (v.type.kind === 'null') this.fail("cannot assign <null> to an implicitly-typed variable", d.init.start);
        if (v.type.kind === 'void') this.fail("cannot assign void to an implicitly-typed variable", d.init.start);
        type = v.type;
        init = v.run;
      } else {
        type = declared;
        if (d.init === undefined) {
          const fallback = defaultValueOf(type);
          init = () => fallback;
        } else {
          init = this.#valueAs(d.init, type).run;
        }
      }
      // Declared after the initializer is compiled: `var x = x;` must not see itself.
      const slot = this.#declare(d.name, type, d.start).slot;
      const run = init;
      inits.push((f) => (f.locals[slot] = run(f)));
    }
    return (f) => {
      for (const i of inits) i(f);
      return CONTINUE;
    };
  }

  /** C# reachability, for "not all code paths return a value". */
  #canCompleteNormally(s: Statement): boolean {
    switch (s.kind) {
      case 'Return':
        return false;
      case 'Block':
        return s.statements.every((x) => this.#canCompleteNormally(x));
      case 'If': {
        // A literal true/false condition makes the other branch unreachable, as in C#.
        const constant = s.test.kind === 'Literal' && s.test.type === 'bool' ? (s.test.value as boolean) : undefined;
        const thenCompletes = constant !== false && this.#canCompleteNormally(s.then);
        const elseCompletes = constant !== true && (s.otherwise === undefined || this.#canCompleteNormally(s.otherwise));
        return thenCompletes || elseCompletes;
      }
      default:
        return true;
    }
  }
}

// ---- call binding data ----

type PlannedArg =
  | { kind: 'arg'; argIndex: number; conversion: Conversion }
  | { kind: 'params'; items: { argIndex: number; conversion: Conversion }[] }
  | { kind: 'default'; value: unknown }
  | { kind: 'out'; argIndex: number };

interface ArgPlan {
  slots: PlannedArg[];
  cost: number;
}

interface PlanProblem {
  problem: string;
  at: number | undefined;
  /** The argument count fit; the problem is a type or name (a better message to report). */
  arityOk: boolean;
}

interface BoundCall {
  returns: ClrType;
  invoke: Signature['invoke'];
  args: Thunk[];
  extension: boolean;
}

// ---- numeric operators ----

const INT_MIN = -2147483648;

function numericOperator(op: '+' | '-' | '*' | '/' | '%', kind: 'int' | 'long' | 'double'): (a: unknown, b: unknown) => unknown {
  if (kind === 'double') {
    switch (op) {
      case '+':
        return (a, b) => (a as number) + (b as number);
      case '-':
        return (a, b) => (a as number) - (b as number);
      case '*':
        return (a, b) => (a as number) * (b as number);
      case '/':
        return (a, b) => (a as number) / (b as number);
      case '%':
        return (a, b) => (a as number) % (b as number);
    }
  }
  // int arithmetic wraps at 32 bits (C#'s default unchecked context); long is not wrapped
  // (values past 2^53 lose precision, a documented limitation).
  const wrap = kind === 'int' ? (n: number) => n | 0 : (n: number) => (n === 0 ? 0 : n);
  switch (op) {
    case '+':
      return (a, b) => wrap((a as number) + (b as number));
    case '-':
      return (a, b) => wrap((a as number) - (b as number));
    case '*':
      return kind === 'int' ? (a, b) => Math.imul(a as number, b as number) : (a, b) => wrap((a as number) * (b as number));
    case '/':
      return (a, b) => {
        if (b === 0) throw divideByZero();
        if (kind === 'int' && a === INT_MIN && b === -1) throw new ExpressionRuntimeError('OverflowException', 'Arithmetic operation resulted in an overflow.');
        return wrap(Math.trunc((a as number) / (b as number)));
      };
    case '%':
      return (a, b) => {
        if (b === 0) throw divideByZero();
        return wrap((a as number) % (b as number));
      };
  }
}
