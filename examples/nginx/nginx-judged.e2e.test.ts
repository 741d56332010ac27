import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import type { Verdict } from '../../harness/contracts/verdict.ts';
import { runScenario } from '../../harness/run/run-scenario.ts';
import { inspectTool } from '../../harness/tools/resolve-tool.ts';
import { k6Spec } from '../../harness/tools/tool-specs.ts';
import { findNginx } from './find-nginx.ts';
import { backendsAtPortBase, nginxExpectationsPath, nginxTemplatePath, noBackupTemplatePath, noEjectionTemplatePath } from './nginx-config.ts';
import { startNginx } from './nginx-process.ts';

/**
 * The proof that Spillway judges a gateway nobody here wrote: Debian's nginx, configured as the
 * example says (PTU first, PAYG as backup, passive ejection), driven by the shipped spillover
 * and circuit-breaker scenarios with real k6, the run starting the fleet on the ports nginx is
 * configured for (`--port-base`) and judging from the fleet's ledger and the client records.
 * Each scenario is run against the example and against a copy with the one thing broken that
 * the scenario's check covers: the example's verdicts are real (measured, not inconclusive),
 * and the broken copy fails the check that covers it.
 */
const lookup = await findNginx();
const k6 = await inspectTool(k6Spec);
const skip = lookup.status === 'missing' ? `nginx is missing (${lookup.reason})` : k6.status === 'missing' ? 'k6 is not installed (node bin/spillway.js tools install)' : null;
if (skip) process.stdout.write(`nginx-judged.e2e.test.ts: skipped: ${skip}\n`);

// Fixed ports, as a gateway's configuration has them; below the ephemeral range, apart from
// the other fixed-port tests (gateway-target.e2e.test.ts uses 19400-20999).
const portBase = 21_000 + (process.pid % 250) * 8;
const topology = loadTopologyFile(defaultTopologyPath);

async function judge(scenario: string, template: string): Promise<{ verdicts: Verdict[]; problem: string | undefined; lines: string[] }> {
  const nginx = await startNginx({ fleet: backendsAtPortBase(topology, portBase), template });
  const saved = { uf: process.env.SPILLWAY_KEY_USER_FACING, co: process.env.SPILLWAY_KEY_CRITICAL_OPS };
  // nginx checks no key; the run still wants one per consumer class it sends as.
  process.env.SPILLWAY_KEY_USER_FACING = 'nginx-checks-no-key';
  process.env.SPILLWAY_KEY_CRITICAL_OPS = 'nginx-checks-no-key';
  const lines: string[] = [];
  try {
    const result = await runScenario({
      scenario,
      units: 1,
      gatewayUrl: nginx.url,
      portBase,
      healthPath: '/healthz',
      expectationsFile: nginxExpectationsPath,
      resultsDir: mkdtempSync(join(tmpdir(), 'nginx-judged-')),
      progress: (line) => lines.push(line),
    });
    const verdicts = result.journal.verdicts;
    process.stdout.write(`[nginx] ${scenario} with ${template.split('/').pop()}: ${result.journal.status}\n${verdicts.map((v) => `  ${v.status.toUpperCase()} ${v.check}: ${v.measured}`).join('\n')}\n`);
    return { verdicts, problem: result.journal.problem, lines };
  } finally {
    await nginx.stop();
    if (saved.uf === undefined) delete process.env.SPILLWAY_KEY_USER_FACING;
    else process.env.SPILLWAY_KEY_USER_FACING = saved.uf;
    if (saved.co === undefined) delete process.env.SPILLWAY_KEY_CRITICAL_OPS;
    else process.env.SPILLWAY_KEY_CRITICAL_OPS = saved.co;
  }
}

const verifierVerdicts = (verdicts: Verdict[], prefix: string): Verdict[] => verdicts.filter((v) => v.check.startsWith(prefix));

describe.skipIf(skip !== null)('nginx, a gateway nobody here wrote, judged from the fleet ledger', () => {
  it('spillover: the example spills 429s to its PAYG backup (a real verdict from the ledger); without the backup, medium clients are refused while PAYG had room', { timeout: 400_000 }, async () => {
    const example = await judge('spillover', nginxTemplatePath);
    expect(example.problem, example.lines.join('\n')).toBeUndefined();
    const spillover = verifierVerdicts(example.verdicts, 'spillover.');
    expect(spillover.length).toBeGreaterThanOrEqual(3);
    for (const verdict of spillover) {
      expect(verdict.status, `${verdict.check}: ${verdict.explanation}`).not.toBe('inconclusive');
      expect(verdict.sources).toEqual(expect.arrayContaining(['ledger', 'client']));
      expect(verdict.sources).not.toContain('gatewayLogs');
    }
    expect(spillover.find((v) => v.check === 'spillover.no-429-while-payg-had-room')?.status).toBe('pass');
    expect(spillover.find((v) => v.check === 'spillover.payg-only-under-pressure')?.measured).toMatch(/^[1-9]\d* of \d+ medium\/no-priority requests reached PAYG/);

    const noBackup = await judge('spillover', noBackupTemplatePath);
    expect(noBackup.problem).toBeUndefined();
    const refused = noBackup.verdicts.find((v) => v.check === 'spillover.no-429-while-payg-had-room');
    expect(refused?.status, refused?.explanation).toBe('fail');
  });

  it('circuit-breaker: the example ejects a failing PTU as its max_fails/fail_timeout say (a real verdict from the ledger); with ejection off, the failing backend keeps getting traffic', { timeout: 400_000 }, async () => {
    const example = await judge('circuit-breaker', nginxTemplatePath);
    expect(example.problem, example.lines.join('\n')).toBeUndefined();
    const breaker = verifierVerdicts(example.verdicts, 'circuit-breaker.');
    expect(breaker.length).toBeGreaterThanOrEqual(3);
    for (const verdict of breaker) {
      expect(verdict.status, `${verdict.check}: ${verdict.explanation}`).not.toBe('inconclusive');
      expect(verdict.sources).toContain('ledger');
    }
    const staysOpen = breaker.filter((v) => v.check.startsWith('circuit-breaker.stays-open'));
    expect(staysOpen.map((v) => v.status)).toEqual(staysOpen.map(() => 'pass'));

    const noEjection = await judge('circuit-breaker', noEjectionTemplatePath);
    expect(noEjection.problem).toBeUndefined();
    const caught = verifierVerdicts(noEjection.verdicts, 'circuit-breaker.').filter((v) => v.status === 'fail');
    expect(caught.map((v) => v.check)).toEqual(expect.arrayContaining([expect.stringMatching(/^circuit-breaker\.stays-open|^circuit-breaker\.opens-after-count/)]));
  });
});
