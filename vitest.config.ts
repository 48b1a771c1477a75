import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'assembly/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    // Socket and file-source suites bind ports and directories; keep suites in separate workers.
    pool: 'forks',
    // Every StreamingContext serves its UI by default; the suites' many contexts must not (test/ui enables it).
    env: { SLUICE_UI: 'false' },
  },
});
