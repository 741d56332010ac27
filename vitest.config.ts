import { defineConfig } from 'vitest/config';

const include = ['bin/**/*.test.ts', 'harness/**/*.test.ts', 'mocks/**/*.test.ts', 'reports/**/*.test.ts', 'scenarios/**/*.test.ts', 'bench/**/*.test.ts', 'examples/**/*.test.ts', 'deploy/**/*.test.ts'];
/**
 * The known-capacity proof measures a knee on this machine: other test files driving k6 beside it
 * would take the CPU it measures with. It runs alone, in a project group of its own (vitest runs
 * one group at a time).
 */
const aloneOnTheMachine = ['harness/capacity/known-capacity.e2e.test.ts'];

export default defineConfig({
  test: {
    environment: 'node',
    // Real-HTTP tests start listeners on loopback; a generous timeout keeps a noisy
    // 2-core machine from failing them, while no test asserts on elapsed time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Forks isolate the listeners and timers of each file.
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'suite', include, exclude: aloneOnTheMachine, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: aloneOnTheMachine, sequence: { groupOrder: 1 } } },
    ],
  },
});
