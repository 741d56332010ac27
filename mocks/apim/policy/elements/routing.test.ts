import { describe, expect, it } from 'vitest';
import { inSection, only, problems } from '../test-support.ts';

describe('<set-backend-service>', () => {
  it('takes backend-id or base-url, literal or expression', () => {
    expect(only('set-backend-service', ['<set-backend-service backend-id="aoai-pool" />'])).toMatchObject({ backendId: { value: 'aoai-pool' }, baseUrl: null });
    expect(only('set-backend-service', ['<set-backend-service base-url="https://a.example/openai" />'], 'backend')).toMatchObject({ backendId: null, baseUrl: { value: 'https://a.example/openai' } });
    expect(only('set-backend-service', ['<set-backend-service backend-id="@(context.Variables.GetValueOrDefault&lt;string&gt;(&quot;b&quot;))" />']).backendId?.kind).toBe('expression');
  });

  it('requires exactly one target and a valid URL', () => {
    expect(
      problems(
        inSection(
          'inbound',
          '    <set-backend-service />',
          '    <set-backend-service backend-id="a" base-url="https://b.example" />',
          '    <set-backend-service base-url="not a url" />',
          '    <set-backend-service backend-id="" />',
        ),
      ),
    ).toEqual([
      "policy.xml:3:5: set-backend-service: missing required attribute: one of 'base-url' or 'backend-id'",
      "policy.xml:4:5: set-backend-service: specify either 'base-url' or 'backend-id', not both",
      'policy.xml:5:5: set-backend-service: invalid value for attribute \'base-url\': expected an absolute http(s) URL, got "not a url"',
      "policy.xml:6:5: set-backend-service: attribute 'backend-id' must not be empty",
    ]);
  });

  it('reports Service Fabric and Dapr attributes as unsupported, not unknown', () => {
    expect(problems(inSection('inbound', '    <set-backend-service backend-id="sf" sf-partition-key="1" dapr-app-id="x" />'))).toEqual([
      "policy.xml:3:42: set-backend-service: attribute 'sf-partition-key' is not supported by the emulator: Service Fabric backends cannot be emulated",
      "policy.xml:3:63: set-backend-service: attribute 'dapr-app-id' is not supported by the emulator: Dapr backends cannot be emulated",
    ]);
  });

  it('is not allowed in outbound', () => {
    expect(problems(inSection('outbound', '    <set-backend-service backend-id="a" />'))[0]).toContain('is not allowed in the outbound section (APIM allows it in: inbound, backend)');
  });
});

describe('<rewrite-uri>', () => {
  it('compiles template and copy-unmatched-params (default true)', () => {
    expect(only('rewrite-uri', ['<rewrite-uri template="/openai/deployments/{deployment-id}/chat/completions" />'])).toMatchObject({
      template: { value: '/openai/deployments/{deployment-id}/chat/completions' },
      copyUnmatchedParams: true,
    });
    expect(only('rewrite-uri', ['<rewrite-uri template="@(&quot;/v2&quot; + context.Request.Url.Path)" copy-unmatched-params="false" />'])).toMatchObject({
      template: { kind: 'expression' },
      copyUnmatchedParams: false,
    });
  });

  it('requires a template', () => {
    expect(problems(inSection('inbound', '    <rewrite-uri copy-unmatched-params="nope" />'))).toEqual([
      "policy.xml:3:5: rewrite-uri: missing required attribute 'template'",
      'policy.xml:3:41: rewrite-uri: invalid value for attribute \'copy-unmatched-params\': expected "true" or "false", got "nope"',
    ]);
  });
});

describe('<forward-request>', () => {
  it('applies the documented defaults', () => {
    expect(only('forward-request', ['<forward-request />'], 'backend')).toMatchObject({
      timeout: { kind: 'literal', value: 300 },
      timeoutUnit: 'seconds',
      continueTimeout: null,
      httpVersion: '1',
      followRedirects: { value: false },
      bufferRequestBody: false,
      bufferResponse: true,
      failOnErrorStatusCode: false,
    });
  });

  it('compiles every attribute', () => {
    const node = only('forward-request', ['<forward-request timeout-ms="1500" continue-timeout="5" http-version="2or1" follow-redirects="@(true)" buffer-request-body="true" buffer-response="false" fail-on-error-status-code="true" />'], 'backend');
    expect(node).toMatchObject({
      timeout: { value: 1500 },
      timeoutUnit: 'milliseconds',
      continueTimeout: { value: 5 },
      httpVersion: '2or1',
      followRedirects: { kind: 'expression' },
      bufferRequestBody: true,
      bufferResponse: false,
      failOnErrorStatusCode: true,
    });
    expect(only('forward-request', ['<forward-request timeout="@(60)" />'], 'backend').timeout.kind).toBe('expression');
  });

  it('validates values and rejects content', () => {
    expect(problems(inSection('backend', '    <forward-request timeout="10" timeout-ms="5" http-version="3" buffer-response="@(false)">x</forward-request>'))).toEqual([
      "policy.xml:3:5: forward-request: specify either 'timeout' or 'timeout-ms', not both",
      'policy.xml:3:64: forward-request: invalid value for attribute \'http-version\': expected one of "1", "2", "2or1", got "3"',
      "policy.xml:3:84: forward-request: policy expressions are not allowed in attribute 'buffer-response'",
      'policy.xml:3:94: forward-request: unexpected text "x" inside <forward-request>',
    ]);
  });
});
