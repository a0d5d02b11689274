import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
// Tests run on source: workspace packages resolve through the "@inlet/source" export condition.
// The rest is Vite's default server condition list.
const sourceConditions = ['@inlet/source', 'module', 'node', 'development|production'];
const workspaceGlobs = ['packages/*/src', 'examples/*/src', 'internal/*/src', 'bench/src'];

export default defineConfig({
  root,
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: workspaceGlobs.map((dir) => `${dir}/**/*.test.ts`),
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: workspaceGlobs.map((dir) => `${dir}/**/*.test-d.ts`),
            tsconfig: './tsconfig.typetests.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: workspaceGlobs.map((dir) => `${dir}/**/*.integration.test.ts`),
          globalSetup: ['./internal/test-support/src/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The broker is one JVM on two cores: a few files at a time keeps timings honest.
          maxWorkers: 2,
          pool: 'forks',
        },
      },
    ],
  },
});
