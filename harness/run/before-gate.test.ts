import { describe, expect, it } from 'vitest';
import { openBeforeGate, type BeforeGate } from './before-gate.ts';

const run = { runDir: '/nowhere', runId: 'run-1', loadStartedAt: Date.now(), baseUrl: 'http://127.0.0.1:9', keyFor: () => 'k' };
const gate = (judge: BeforeGate['judge']): BeforeGate => ({ atSeconds: 0.02, judge });

describe('the before-gate', () => {
  it('lets the method go on when the steady state held, stopping nothing', async () => {
    const stops: string[] = [];
    const opened = openBeforeGate(gate(async () => null), { ...run, loadStartedAt: Date.now() }, (why) => stops.push(why));
    expect(await opened.held).toBe(true);
    expect(opened.stopped).toBeNull();
    expect(stops).toEqual([]);
  });

  it('stops the run, saying why, when it did not hold, and when it could not be judged', async () => {
    const stops: string[] = [];
    const deviated = openBeforeGate(gate(async () => 'probe "x" deviated'), { ...run, loadStartedAt: Date.now() }, (why) => stops.push(why));
    expect(await deviated.held).toBe(false);
    expect(deviated.stopped).toBe('probe "x" deviated');
    const failed = openBeforeGate(gate(async () => { throw new Error('the workspace refused the query'); }), { ...run, loadStartedAt: Date.now() }, (why) => stops.push(why));
    expect(await failed.held).toBe(false);
    expect(failed.stopped).toBe('the steady state before the method could not be judged: the workspace refused the query');
    expect(stops).toHaveLength(2);
  });

  it('is never judged once closed (the run ended first): the waiting steps are cancelled, nothing stopped', async () => {
    let judged = false;
    const stops: string[] = [];
    const opened = openBeforeGate({ atSeconds: 0.05, judge: async () => ((judged = true), null) }, { ...run, loadStartedAt: Date.now() }, (why) => stops.push(why));
    opened.close();
    expect(await opened.held).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(judged).toBe(false);
    expect(opened.stopped).toBeNull();
    expect(stops).toEqual([]);
  });
});
