import { defineConfig } from 'tsup';

// One build for every package: ESM + CJS, each with its own declaration files, from src/index.ts.
// Declarations are built against the dependencies' published types (their dist/), never their
// source, so the "@inlet/source" condition is switched off here.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  target: 'node20',
  platform: 'node',
  dts: { compilerOptions: { customConditions: [] } },
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: true,
  outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.js' }),
});
