import { describe, expect, it } from 'vitest';
import { inSection, only, problems } from '../test-support.ts';

describe('<validate-jwt>', () => {
  it('compiles a full definition with locally configured keys', () => {
    const node = only('validate-jwt', [
      '<validate-jwt header-name="Authorization" failed-validation-httpcode="403" failed-validation-error-message="Unauthorized" require-scheme="Bearer" clock-skew="60" output-token-variable-name="jwt">',
      '  <issuer-signing-keys>',
      '    <key id="k1">{{jwt-key}}</key>',
      '    <key certificate-id="my-cert" />',
      '    <key n="0vx7agoebGcQSuuPiLJXZpt" e="AQAB" />',
      '  </issuer-signing-keys>',
      '  <decryption-keys><key certificate-id="dec" /></decryption-keys>',
      '  <audiences><audience>api://spillway</audience></audiences>',
      '  <issuers><issuer>https://issuer.example/</issuer></issuers>',
      '  <required-claims>',
      '    <claim name="roles" match="any" separator=","><value>admin</value><value>ops</value></claim>',
      '  </required-claims>',
      '</validate-jwt>',
    ], 'inbound', { namedValues: { 'jwt-key': 'c2VjcmV0LWtleS1mb3ItdGVzdHM=' } });
    expect(node).toMatchObject({
      tokenSource: { from: 'header', name: { value: 'Authorization' } },
      failedValidationHttpCode: { value: 403 },
      failedValidationErrorMessage: { value: 'Unauthorized' },
      requireExpirationTime: { value: true },
      requireScheme: { value: 'Bearer' },
      requireSignedTokens: { value: true },
      clockSkew: { value: 60 },
      outputTokenVariableName: 'jwt',
    });
    expect(node.signingKeys).toMatchObject([
      { kind: 'base64', id: 'k1', value: { value: 'c2VjcmV0LWtleS1mb3ItdGVzdHM=' }, at: { line: 5 } },
      { kind: 'certificate', certificateId: 'my-cert', id: null },
      { kind: 'rsa', n: '0vx7agoebGcQSuuPiLJXZpt', e: 'AQAB' },
    ]);
    expect(node.decryptionKeys).toMatchObject([{ kind: 'certificate', certificateId: 'dec' }]);
    expect(node.audiences.map((a) => a.text)).toEqual(['api://spillway']);
    expect(node.issuers.map((a) => a.text)).toEqual(['https://issuer.example/']);
    expect(node.requiredClaims).toMatchObject([{ name: 'roles', match: 'any', separator: ',', values: [{ value: 'admin' }, { value: 'ops' }] }]);
  });

  it('applies defaults and accepts the other token sources', () => {
    expect(only('validate-jwt', ['<validate-jwt query-parameter-name="access_token" />'])).toMatchObject({
      tokenSource: { from: 'query' },
      failedValidationHttpCode: { value: 401 },
      failedValidationErrorMessage: null,
      requireScheme: null,
      clockSkew: { value: 0 },
      signingKeys: [],
      requiredClaims: [],
    });
    expect(only('validate-jwt', ['<validate-jwt token-value="@(context.Request.Headers.GetValueOrDefault(&quot;x-token&quot;))" />']).tokenSource).toMatchObject({ from: 'value', value: { kind: 'expression' } });
  });

  it('accepts clock-skew as seconds, TimeSpan or ISO 8601, and rejects the rest', () => {
    for (const [text, seconds] of [['00:05:00', 300], ['PT1M', 60], ['0', 0]] as const) {
      expect(only('validate-jwt', [`<validate-jwt header-name="a" clock-skew="${text}" />`]).clockSkew).toMatchObject({ value: seconds });
    }
    expect(problems(inSection('inbound', '<validate-jwt header-name="a" clock-skew="soon" />'))).toEqual([
      'policy.xml:3:43: validate-jwt: invalid value for attribute \'clock-skew\': expected seconds or a duration such as 00:05:00, got "soon"',
    ]);
  });

  it('requires exactly one token source', () => {
    expect(problems(inSection('inbound', '<validate-jwt />', '<validate-jwt header-name="a" token-value="b" />'))).toEqual([
      "policy.xml:3:1: validate-jwt: missing required attribute: one of 'header-name', 'query-parameter-name' or 'token-value'",
      "policy.xml:4:1: validate-jwt: specify only one of 'header-name', 'query-parameter-name' or 'token-value', found 'header-name' and 'token-value'",
    ]);
  });

  it('reports openid-config as unsupported with the reason', () => {
    expect(problems(inSection('inbound', '<validate-jwt header-name="Authorization">', '  <openid-config url="https://login.microsoftonline.com/x/v2.0/.well-known/openid-configuration" />', '</validate-jwt>'))).toEqual([
      'policy.xml:4:3: openid-config: not supported: the emulator validates against locally configured keys only (use <issuer-signing-keys>)',
    ]);
  });

  it('validates keys, claims and children', () => {
    expect(
      problems(
        inSection(
          'inbound',
          '<validate-jwt header-name="a">',
          '  <issuer-signing-keys><key /><key n="abc" /><key certificate-id="c">AAAA</key><key>not base64!</key><audience /></issuer-signing-keys>',
          '  <required-claims><claim match="some" /></required-claims>',
          '  <audiences><audience>x</audience></audiences><scopes />',
          '</validate-jwt>',
        ),
      ),
    ).toEqual([
      'policy.xml:4:24: key: <key> needs a base64 key as its text, a certificate-id, or n and e',
      "policy.xml:4:31: key: RSA keys need both 'n' (modulus) and 'e' (exponent)",
      'policy.xml:4:46: key: <key> takes exactly one of: base64 text, certificate-id, or n and e',
      'policy.xml:4:85: key: invalid value for <key> text: expected a base64-encoded key',
      'policy.xml:4:102: audience: <issuer-signing-keys> may only contain <key> elements, found <audience>',
      "policy.xml:5:20: claim: missing required attribute 'name'",
      'policy.xml:5:34: claim: invalid value for attribute \'match\': expected one of "all", "any", got "some"',
      'policy.xml:6:48: scopes: unknown child element <scopes> of <validate-jwt>',
    ]);
  });
});
