import { describe, expect, it } from 'vitest';
import { ContainerConfigError, containerConfigFrom, defaultContainerPort, defaultTopologyFile } from './container-config.ts';

const token = 'a-token-of-twenty-chars';

function problemsOf(env: NodeJS.ProcessEnv): string {
  try {
    containerConfigFrom(env);
  } catch (error) {
    if (error instanceof ContainerConfigError) return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe("the fleet container's environment", () => {
  it('needs only the token; the rest has defaults (the image port, every interface, the default topology, the public URL from each request)', () => {
    expect(containerConfigFrom({ SPILLWAY_CONTROL_TOKEN: token })).toEqual({ token, publicUrl: null, topology: { kind: 'file', path: defaultTopologyFile }, port: defaultContainerPort, host: '0.0.0.0' });
  });

  it('takes the public URL as an origin, the topology inline or from a file, a port and a host', () => {
    const config = containerConfigFrom({
      SPILLWAY_CONTROL_TOKEN: token,
      SPILLWAY_FLEET_PUBLIC_URL: 'https://spillway-fleet.example.io/',
      SPILLWAY_FLEET_TOPOLOGY_JSON: '{"resources":[]}',
      SPILLWAY_FLEET_PORT: '0',
      SPILLWAY_FLEET_HOST: '127.0.0.1',
    });
    expect(config).toMatchObject({ publicUrl: 'https://spillway-fleet.example.io', topology: { kind: 'json', text: '{"resources":[]}' }, port: 0, host: '127.0.0.1' });
    expect(containerConfigFrom({ SPILLWAY_CONTROL_TOKEN: token, SPILLWAY_FLEET_TOPOLOGY: '/config/topology.json' }).topology).toEqual({ kind: 'file', path: '/config/topology.json' });
  });

  it('refuses to start without a token, since its control API is reachable from outside', () => {
    expect(problemsOf({})).toContain('SPILLWAY_CONTROL_TOKEN is not set');
    expect(problemsOf({ SPILLWAY_CONTROL_TOKEN: '' })).toContain('SPILLWAY_CONTROL_TOKEN is not set');
  });

  it('names every bad variable at once, never echoing the token', () => {
    const message = problemsOf({
      SPILLWAY_CONTROL_TOKEN: 'short-secret',
      SPILLWAY_FLEET_PUBLIC_URL: 'https://fleet.example.io/base',
      SPILLWAY_FLEET_TOPOLOGY: '/t.json',
      SPILLWAY_FLEET_TOPOLOGY_JSON: '{}',
      SPILLWAY_FLEET_PORT: '80a',
    });
    expect(message).toContain('SPILLWAY_CONTROL_TOKEN is 12 characters long; use at least 16');
    expect(message).toContain('SPILLWAY_FLEET_PUBLIC_URL: "https://fleet.example.io/base" must be an origin only');
    expect(message).toContain('SPILLWAY_FLEET_TOPOLOGY and SPILLWAY_FLEET_TOPOLOGY_JSON are both set; set one');
    expect(message).toContain('SPILLWAY_FLEET_PORT: "80a" is not a port number');
    expect(message).not.toContain('short-secret');
    expect(problemsOf({ SPILLWAY_CONTROL_TOKEN: token, SPILLWAY_FLEET_PUBLIC_URL: 'fleet.example.io' })).toContain('SPILLWAY_FLEET_PUBLIC_URL: "fleet.example.io" is not an http:// or https:// URL');
    expect(problemsOf({ SPILLWAY_CONTROL_TOKEN: token, SPILLWAY_FLEET_PORT: '70000' })).toContain('SPILLWAY_FLEET_PORT: "70000" is not a port number');
  });
});
