/** `<check-header>`, `<ip-filter>` and `<authentication-managed-identity>`. */
import { isIP } from 'node:net';
import { ElementReader } from '../element-reader.ts';
import type { AuthenticationManagedIdentityPolicy, CheckHeaderPolicy, IpFilterPolicy, IpRange, PolicyValue } from '../policy-ast.ts';
import { anyString, boolean } from '../value-parsers.ts';
import type { LiteralParser } from '../value-parsers.ts';
import { nodeBase } from './element-compiler.ts';
import type { ElementCompiler } from './element-compiler.ts';

export const compileCheckHeader: ElementCompiler = (r): CheckHeaderPolicy | null => {
  const base = nodeBase(r);
  const name = r.string('name', { required: true });
  const failedCheckHttpCode = r.int('failed-check-httpcode', 100, 599, { required: true });
  const failedCheckErrorMessage = r.string('failed-check-error-message', { required: true });
  const ignoreCase = r.bool('ignore-case', { required: true });
  const values: PolicyValue[] = [];
  for (const child of r.children()) {
    const c = new ElementReader(r.ctx, child);
    if (child.name !== 'value') {
      c.problem('invalid-structure', child.start, `<check-header> may only contain <value> elements, found <${child.name}>`);
      continue;
    }
    const v = c.text({ trim: true, parse: anyString, kind: 'string' });
    c.finish();
    if (v) values.push(v);
  }
  if (!name || !failedCheckHttpCode || !failedCheckErrorMessage || !ignoreCase) return null;
  return { ...base, kind: 'check-header', name, failedCheckHttpCode, failedCheckErrorMessage, ignoreCase, values };
};

const ipAddress: LiteralParser<string> = (text) =>
  isIP(text.trim()) === 0 ? { ok: false, message: `expected an IPv4 or IPv6 address, got "${text}"` } : { ok: true, value: text.trim() };

export const compileIpFilter: ElementCompiler = (r): IpFilterPolicy | null => {
  const base = nodeBase(r);
  const action = r.choice('action', ['allow', 'forbid'] as const, { required: true });
  const addresses: PolicyValue[] = [];
  const ranges: IpRange[] = [];
  let any = false;
  for (const child of r.children()) {
    const c = new ElementReader(r.ctx, child);
    if (child.name === 'address') {
      any = true;
      const v = c.text({ trim: true, parse: ipAddress, kind: 'string' });
      if (v) addresses.push(v);
    } else if (child.name === 'address-range') {
      any = true;
      const from = c.literal('from', ipAddress, { required: true });
      const to = c.literal('to', ipAddress, { required: true });
      c.noContent();
      if (from !== null && to !== null) {
        if (isIP(from) !== isIP(to)) c.problem('invalid-value', child.start, `address range mixes IPv${isIP(from)} and IPv${isIP(to)} addresses`);
        else ranges.push({ at: c.at, from, to });
      }
    } else {
      c.problem('invalid-structure', child.start, `<ip-filter> may only contain <address> and <address-range>, found <${child.name}>`);
      continue;
    }
    c.finish();
  }
  if (!any) r.problem('invalid-structure', r.element.start, '<ip-filter> requires at least one <address> or <address-range>');
  if (!action) return null;
  return { ...base, kind: 'ip-filter', action, addresses, ranges };
};

export const compileAuthenticationManagedIdentity: ElementCompiler = (r): AuthenticationManagedIdentityPolicy | null => {
  const base = nodeBase(r);
  const resource = r.string('resource', { required: true });
  const clientId = r.literalString('client-id');
  const outputTokenVariableName = r.literalString('output-token-variable-name');
  const ignoreError = r.literal('ignore-error', boolean) ?? false;
  r.noContent();
  if (!resource) return null;
  return { ...base, kind: 'authentication-managed-identity', resource, clientId, outputTokenVariableName, ignoreError };
};
