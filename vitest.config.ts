import { defineConfig } from 'vitest/config';

// Two projects: unit tests (pure, in-process fakes) and integration tests (real PTYs, sockets,
// child processes, Debian tools). Files of both run in parallel: each integration file takes its
// ports from the OS, names its own serial links, and the serial driver checks the appliance's
// identity on every (re)connect, so a PTY number reused by another file cannot be mistaken for
// its own appliance. Files that cannot share the machine say so with `sequential` in their name
// list below.
const shared = {
  setupFiles: ['test/support/setup.ts'],
  testTimeout: 30_000,
  hookTimeout: 30_000,
};

export default defineConfig({
  test: {
    // Integration files wait on sockets and child processes more than they compute: more
    // workers than the two cores keeps the CPU busy.
    maxWorkers: 4,
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { ...shared, name: 'integration', include: ['test/integration/**/*.test.ts'] } },
    ],
  },
});
