#!/usr/bin/env node
// Loads every built package the way a user's Node would (no bundler, no source condition):
// `import` of the ESM build and `require` of the CJS build, and checks each exports what its
// index lists. Catches what type-level package linting cannot (a deep import without `.js`,
// a dependency missing from package.json).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let failures = 0;
for (const name of readdirSync(join(root, 'packages'))) {
  const directory = join(root, 'packages', name);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  if (manifest.private) continue;
  const require = createRequire(join(directory, 'package.json'));
  try {
    const esm = await import(pathToFileURL(join(directory, manifest.module)).href);
    const cjs = require(join(directory, manifest.main));
    const esmNames = Object.keys(esm).sort();
    const cjsNames = Object.keys(cjs)
      .filter((key) => key !== '__esModule')
      .sort();
    if (esmNames.length === 0) throw new Error('the ESM build exports nothing');
    if (esmNames.join() !== cjsNames.join()) throw new Error(`ESM and CJS export different names`);
    for (const [bin, path] of Object.entries(manifest.bin ?? {})) {
      const run = spawnSync(process.execPath, [join(directory, path), '--help'], { encoding: 'utf8' });
      if (run.status !== 0)
        throw new Error(`bin ${bin} --help exited ${run.status}: ${run.stderr.slice(0, 500)}`);
    }
    console.log(`ok   ${manifest.name}: ${esmNames.length} exports (ESM and CJS)`);
  } catch (error) {
    failures += 1;
    console.error(`FAIL ${manifest.name}: ${error.message}`);
  }
}
process.exit(failures === 0 ? 0 : 1);
