import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Integration tests open real sockets and child processes: keep them from starving each other
    // on a two-core machine.
    maxWorkers: 2,
    // Files run one at a time: pseudo-terminal numbers are reused as soon as one closes, and an
    // agent reopening a killed simulator's console in one file could land on another file's.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
