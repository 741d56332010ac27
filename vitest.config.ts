import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['bin/**/*.test.ts', 'harness/**/*.test.ts', 'mocks/**/*.test.ts', 'reports/**/*.test.ts', 'scenarios/**/*.test.ts', 'bench/**/*.test.ts', 'examples/**/*.test.ts', 'deploy/**/*.test.ts'],
    environment: 'node',
    // Real-HTTP tests start listeners on loopback; a generous timeout keeps a noisy
    // 2-core machine from failing them, while no test asserts on elapsed time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Forks isolate the listeners and timers of each file.
    pool: 'forks',
  },
});
