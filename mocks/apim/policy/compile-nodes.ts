/**
 * Compiles a run of policy elements (a section, a choose branch, a retry body, a fragment):
 * dispatches each element to its compiler, and applies the rules that depend on where an
 * element stands rather than on the element itself: section placement, `<base/>` placement,
 * retry's "no wait", return-response's allowed children, unknown versus unsupported elements.
 */
import { report } from './compile-context.ts';
import type { CompileContext, Placement } from './compile-context.ts';
import { ALLOWED_SECTIONS, allowedIn, knownPolicyNames, sectionsText, UNSUPPORTED_ELEMENTS } from './element-catalog.ts';
import { ElementReader } from './element-reader.ts';
import { compileAuthenticationManagedIdentity, compileCheckHeader, compileIpFilter } from './elements/access.ts';
import { compileChoose, compileRetry } from './elements/control-flow.ts';
import { nodeBase } from './elements/element-compiler.ts';
import type { CompileEnv, ElementCompiler } from './elements/element-compiler.ts';
import { compileQuotaByKey, compileRateLimitByKey, compileTokenLimit } from './elements/limits.ts';
import { compileEmitTokenMetric } from './elements/metrics.ts';
import { compileReturnResponse, compileSetBody, compileSetStatus, RETURN_RESPONSE_CHILDREN } from './elements/responses.ts';
import { compileForwardRequest, compileRewriteUri, compileSetBackendService } from './elements/routing.ts';
import { compileValidateJwt } from './elements/validate-jwt.ts';
import { compileSetHeader, compileSetVariable } from './elements/variables-headers.ts';
import { compileIncludeFragment } from './include-fragment.ts';
import type { PolicyKind, PolicyNode } from './policy-ast.ts';
import { didYouMean } from './suggest.ts';
import type { XmlContent } from './xml-tree.ts';

const COMPILERS: Readonly<Record<Exclude<PolicyKind, 'base'>, ElementCompiler>> = {
  choose: compileChoose,
  retry: compileRetry,
  'set-variable': compileSetVariable,
  'set-header': compileSetHeader,
  'set-query-parameter': compileSetHeader,
  'set-backend-service': compileSetBackendService,
  'rewrite-uri': compileRewriteUri,
  'forward-request': compileForwardRequest,
  'rate-limit-by-key': compileRateLimitByKey,
  'quota-by-key': compileQuotaByKey,
  'llm-token-limit': compileTokenLimit,
  'azure-openai-token-limit': compileTokenLimit,
  'return-response': compileReturnResponse,
  'set-status': compileSetStatus,
  'set-body': compileSetBody,
  'check-header': compileCheckHeader,
  'ip-filter': compileIpFilter,
  'validate-jwt': compileValidateJwt,
  'authentication-managed-identity': compileAuthenticationManagedIdentity,
  'llm-emit-token-metric': compileEmitTokenMetric,
  'azure-openai-emit-token-metric': compileEmitTokenMetric,
};

function isKind(name: string): name is PolicyKind {
  return Object.hasOwn(ALLOWED_SECTIONS, name) && name !== 'include-fragment';
}

export function compilePolicyList(ctx: CompileContext, content: readonly XmlContent[], placement: Placement): PolicyNode[] {
  const env: CompileEnv = { compileChildren: (c, p) => compilePolicyList(ctx, c, p) };
  const out: PolicyNode[] = [];
  let sawBase = false;
  for (const item of content) {
    if (item.kind === 'text') {
      const i = item.value.text.length - item.value.text.trimStart().length;
      report(ctx, 'invalid-structure', item.value.offsets[i] ?? item.start, placement.parent ?? placement.section ?? 'fragment', `unexpected text ${JSON.stringify(item.value.text.trim().slice(0, 40))}: only policy elements are allowed here`);
      continue;
    }
    const name = item.name;
    const r = new ElementReader(ctx, item);

    if (placement.parent === 'return-response' && !RETURN_RESPONSE_CHILDREN.includes(name)) {
      r.problem('misplaced-element', item.start, `<return-response> may only contain ${RETURN_RESPONSE_CHILDREN.map((c) => `<${c}>`).join(', ')}, found <${name}>`);
      continue;
    }
    if (name === 'base') {
      if (checkBase(r, placement, sawBase)) out.push({ ...nodeBase(r), kind: 'base' });
      sawBase = true;
      r.noContent();
      r.finish();
      continue;
    }
    if (name === 'include-fragment') {
      out.push(...compileIncludeFragment(r, placement));
      r.finish();
      continue;
    }
    if (isKind(name)) {
      if (placement.section !== null && placement.parent !== 'return-response' && !allowedIn(name, placement.section)) {
        r.problem('misplaced-element', item.start, `<${name}> is not allowed in the ${placement.section} section (APIM allows it in: ${sectionsText(name)})`);
      }
      const node = COMPILERS[name as Exclude<PolicyKind, 'base'>](r, placement, env);
      r.finish();
      if (node) out.push(node);
      continue;
    }
    if (name === 'wait' && placement.parent === 'retry') {
      r.problem('misplaced-element', item.start, '<wait> is not allowed inside <retry> (and <wait> is not supported by the emulator)');
      continue;
    }
    if (UNSUPPORTED_ELEMENTS.has(name)) {
      r.problem('unsupported-element', item.start, `<${name}> is not supported by the emulator`);
      continue;
    }
    if (['inbound', 'backend', 'outbound', 'on-error', 'policies', 'fragment'].includes(name)) {
      r.problem('invalid-structure', item.start, `<${name}> is not allowed here`);
      continue;
    }
    r.problem('unknown-element', item.start, `unknown element <${name}>: not an APIM policy${didYouMean(name, knownPolicyNames())}`);
  }
  return out;
}

/** `<base/>`: only directly in a section, not at global scope, not in fragments, once per section. */
function checkBase(r: ElementReader, placement: Placement, sawBase: boolean): boolean {
  const { ctx } = r;
  if (ctx.scope === null) {
    r.problem('misplaced-element', r.element.start, '<base/> is not allowed in a policy fragment');
    return false;
  }
  if (placement.parent !== null) {
    r.problem('misplaced-element', r.element.start, `<base/> must be a direct child of a section, not inside <${placement.parent}>`);
    return false;
  }
  if (ctx.scope === 'global') {
    r.problem('misplaced-element', r.element.start, '<base/> is not allowed at global scope: there is no enclosing scope to inherit from');
    return false;
  }
  if (sawBase) {
    r.problem('invalid-structure', r.element.start, '<base/> may appear only once per section');
    return false;
  }
  return true;
}
