import { describe, expect, it } from 'vitest';
import type { Verdict } from '../harness/contracts/verdict.ts';
import { renderVerdictTable } from './verdict-table.renderer.ts';

function verdict(check: string): Verdict {
  return { check, status: 'pass', expected: 'p(95)<3000', measured: 'p(95) = 610', tolerance: 'none', explanation: 'fine', evidence: [] };
}

describe('renderVerdictTable, long check names', () => {
  it('keeps the end of a long check name, where rows that share a prefix differ', () => {
    const names = ['k6 threshold http_req_duration{expected_response:true,priority:medium}', 'k6 threshold http_req_duration{expected_response:true,priority:high}', 'token-limit.admitted-within-limit (dev-test-ci)'];
    const rows = renderVerdictTable(names.map(verdict)).split('\n').slice(2, 5);
    const checkCells = rows.map((row) => row.slice(8, 48).trim());
    expect(new Set(checkCells).size).toBe(3);
    expect(checkCells[0]).toMatch(/^k6 threshold http_re.*….*priority:medium\}$/);
    expect(checkCells[1]).toMatch(/….*priority:high\}$/);
    expect(checkCells[2]).toMatch(/^token-limit\.admitted.*….*\(dev-test-ci\)$/);
    for (const cell of checkCells) expect(cell.length).toBeLessThanOrEqual(40);
  });

  it('leaves a short check name whole', () => {
    const rows = renderVerdictTable([verdict('spillover.ptu-share (East US)')]).split('\n');
    expect(rows[2]).toContain('spillover.ptu-share (East US)');
    expect(rows[2]).not.toContain('…');
  });
});
