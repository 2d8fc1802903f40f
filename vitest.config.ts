import { defineConfig } from 'vitest/config';

// Three tiers (DEVELOPERS.md / design.md §4):
//  unit        – pure code, fixed clock, no processes, no network;
//  integration – against one real local cluster started once by the global setup;
//  e2e         – whole workflows (CLI, several clusters, process lifecycle) on real components.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/cluster-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One shared cluster; files run one at a time so 2-core machines are not oversubscribed.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
