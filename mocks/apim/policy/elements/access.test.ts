import { describe, expect, it } from 'vitest';
import { inSection, only, problems } from '../test-support.ts';

describe('<check-header>', () => {
  it('compiles the documented attributes and allowed values', () => {
    const node = only('check-header', ['<check-header name="Authorization" failed-check-httpcode="401" failed-check-error-message="Not authorized" ignore-case="false">', '  <value>f6dc69a0</value>', '  <value>abc</value>', '</check-header>']);
    expect(node).toMatchObject({
      name: { value: 'Authorization' },
      failedCheckHttpCode: { value: 401 },
      failedCheckErrorMessage: { value: 'Not authorized' },
      ignoreCase: { value: false },
    });
    expect(node.values.map((v) => v.text)).toEqual(['f6dc69a0', 'abc']);
  });

  it('requires all four attributes and is inbound only', () => {
    expect(problems(inSection('outbound', '<check-header name="a" />'))).toEqual([
      'policy.xml:3:1: check-header: <check-header> is not allowed in the outbound section (APIM allows it in: inbound)',
      "policy.xml:3:1: check-header: missing required attribute 'failed-check-httpcode'",
      "policy.xml:3:1: check-header: missing required attribute 'failed-check-error-message'",
      "policy.xml:3:1: check-header: missing required attribute 'ignore-case'",
    ]);
  });
});

describe('<ip-filter>', () => {
  it('compiles addresses and ranges', () => {
    const node = only('ip-filter', ['<ip-filter action="allow">', '  <address>13.66.201.169</address>', '  <address>::1</address>', '  <address-range from="13.66.140.128" to="13.66.140.143" />', '</ip-filter>']);
    expect(node.action).toMatchObject({ kind: 'literal', value: 'allow' });
    expect(node.addresses.map((a) => a.kind === 'literal' && a.value)).toEqual(['13.66.201.169', '::1']);
    expect(node.ranges).toEqual([{ at: { file: 'policy.xml', line: 6, column: 3 }, from: '13.66.140.128', to: '13.66.140.143' }]);
    expect(only('ip-filter', ['<ip-filter action="@(&quot;forbid&quot;)"><address>@(context.Variables.GetValueOrDefault&lt;string&gt;(&quot;ip&quot;))</address></ip-filter>']).action.kind).toBe('expression');
  });

  it('validates action, addresses and ranges', () => {
    expect(problems(inSection('inbound', '<ip-filter action="deny" />', '<ip-filter action="allow"><address>1.2.3</address><address-range from="1.1.1.1" to="::2" /><host>x</host></ip-filter>'))).toEqual([
      'policy.xml:3:1: ip-filter: <ip-filter> requires at least one <address> or <address-range>',
      'policy.xml:3:20: ip-filter: invalid value for attribute \'action\': expected one of "allow", "forbid", got "deny"',
      'policy.xml:4:36: address: invalid value for <address> text: expected an IPv4 or IPv6 address, got "1.2.3"',
      'policy.xml:4:51: address-range: address range mixes IPv4 and IPv6 addresses',
      'policy.xml:4:92: host: <ip-filter> may only contain <address> and <address-range>, found <host>',
    ]);
  });
});

describe('<authentication-managed-identity>', () => {
  it('compiles resource, client-id, output variable and ignore-error', () => {
    expect(only('authentication-managed-identity', ['<authentication-managed-identity resource="https://cognitiveservices.azure.com" />'])).toMatchObject({
      resource: { value: 'https://cognitiveservices.azure.com' },
      clientId: null,
      outputTokenVariableName: null,
      ignoreError: false,
    });
    expect(only('authentication-managed-identity', ['<authentication-managed-identity resource="r" client-id="00000000-0000-0000-0000-000000000001" output-token-variable-name="tok" ignore-error="true" />'])).toMatchObject({
      clientId: '00000000-0000-0000-0000-000000000001',
      outputTokenVariableName: 'tok',
      ignoreError: true,
    });
  });

  it('requires resource; client-id takes no expressions', () => {
    expect(problems(inSection('inbound', '<authentication-managed-identity client-id="@(&quot;x&quot;)" />'))).toEqual([
      "policy.xml:3:1: authentication-managed-identity: missing required attribute 'resource'",
      "policy.xml:3:45: authentication-managed-identity: policy expressions are not allowed in attribute 'client-id'",
    ]);
  });
});
