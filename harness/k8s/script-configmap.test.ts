import { describe, expect, it } from 'vitest';
import { configMapDataBytes, configMapDataLimitBytes, ConfigMapTooLargeError, scriptConfigMap } from './script-configmap.ts';

const base = { name: 'spillway-smoke-script', namespace: 'load', labels: {}, file: 'smoke.js' };

describe('scriptConfigMap', () => {
  it('carries the bundle under its file name', () => {
    const configMap = scriptConfigMap({ ...base, bundle: 'export default function () {}\n' });
    expect(configMap).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'spillway-smoke-script', namespace: 'load', labels: {} }, data: { 'smoke.js': 'export default function () {}\n' } });
  });

  it('accepts data of exactly 1 MiB and refuses one byte more, naming the size', () => {
    const fits = 'x'.repeat(configMapDataLimitBytes - 'smoke.js'.length);
    expect(configMapDataBytes(scriptConfigMap({ ...base, bundle: fits }).data)).toBe(configMapDataLimitBytes);
    expect(() => scriptConfigMap({ ...base, bundle: `${fits}x` })).toThrow(ConfigMapTooLargeError);
    expect(() => scriptConfigMap({ ...base, bundle: `${fits}x` })).toThrow(/spillway-smoke-script would hold 1,048,577 bytes \(1\.00 MiB; smoke\.js is the bundle\), over Kubernetes' limit of 1 MiB \(1,048,576 bytes\)/);
  });

  it('counts bytes, not characters', () => {
    // 'é' is 2 bytes in UTF-8: half a MiB of them is over the limit in characters' clothing.
    const bundle = 'é'.repeat(configMapDataLimitBytes / 2);
    expect(bundle.length).toBeLessThan(configMapDataLimitBytes);
    expect(() => scriptConfigMap({ ...base, bundle })).toThrow(/1,048,584 bytes/);
  });
});
