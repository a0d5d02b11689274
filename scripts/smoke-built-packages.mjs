#!/usr/bin/env node
// Loads every built package the way a user's Node would (no bundler, no source condition):
// `import` of the ESM build and `require` of the CJS build of each entry in `exports`, and checks
// each exports the same names both ways. Catches what type-level package linting cannot (a deep
// import without `.js`, a dependency missing from package.json). Then checks, in a fresh process,
// that loading a package does not load the clients it must stay free of: importing @inlet/core
// loads no Kafka client, and the PostgreSQL and Redis plumbing takes the user's driver instead of
// loading one.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Modules a package must not load at run time, by package name. */
const notLoadedBy = {
  '@inlet/core': ['kafkajs', 'pg', 'ioredis'],
  '@inlet/backbone': ['kafkajs'],
  '@inlet/store-errors': ['kafkajs', 'pg', 'ioredis'],
  '@inlet/postgres': ['kafkajs', 'pg', 'ioredis'],
  '@inlet/redis': ['kafkajs', 'pg', 'ioredis'],
};

/**
 * Entries whose CJS build cannot be required, and why. Vitest refuses `require()`, so no CJS test
 * file can run the transport or the sink contract; its CJS build is there for tools that resolve CJS types.
 */
const importOnly = {
  '@inlet/core': { './transport-contract': /Vitest cannot be imported in a CommonJS module/ },
  '@inlet/sinks': { './contract': /Vitest cannot be imported in a CommonJS module/ },
};

/** The ESM and CJS files of each entry of a manifest's `exports` (the package.json entry aside). */
function entryPoints(manifest) {
  const exports = manifest.exports ?? { '.': { import: manifest.module, require: manifest.main } };
  return Object.entries(exports)
    .filter(([, target]) => typeof target === 'object' && target !== null)
    .map(([subpath, target]) => ({
      subpath,
      esm: target.import?.default ?? target.import,
      cjs: target.require?.default ?? target.require,
    }));
}

/**
 * Loads the package's main entry, ESM and CJS, in a child process and fails if any of `modules`
 * was loaded: a resolve hook refuses them on the ESM side, and the CJS module cache is read after.
 */
function checkNotLoaded(directory, entry, modules) {
  const hook = `
    const refused = ${JSON.stringify(modules)};
    export async function resolve(specifier, context, next) {
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      if (refused.includes(name)) throw new Error(specifier + ' loaded from ' + context.parentURL);
      return next(specifier, context);
    }`;
  const probe = `
    import { register, createRequire } from 'node:module';
    register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});
    await import(${JSON.stringify(pathToFileURL(join(directory, entry.esm)).href)});
    const require = createRequire(${JSON.stringify(join(directory, 'package.json'))});
    require(${JSON.stringify(join(directory, entry.cjs))});
    const refused = ${JSON.stringify(modules)};
    const loaded = Object.keys(require.cache).filter((path) =>
      refused.some((name) => path.includes('/node_modules/' + name + '/')),
    );
    if (loaded.length > 0) throw new Error('the CJS build loaded ' + loaded.join(', '));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '--eval', probe], {
    cwd: directory,
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    const reason = run.stderr.split('\n').find((line) => line.includes('Error')) ?? run.stderr.slice(0, 500);
    throw new Error(`loading it loads one of ${modules.join(', ')}: ${reason}`);
  }
}

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
    const counts = [];
    for (const entry of entryPoints(manifest)) {
      const esm = await import(pathToFileURL(join(directory, entry.esm)).href);
      const refusal = importOnly[manifest.name]?.[entry.subpath];
      if (refusal !== undefined) {
        const required = (() => {
          try {
            require(join(directory, entry.cjs));
            return 'loaded';
          } catch (error) {
            return error.message;
          }
        })();
        if (!refusal.test(required))
          throw new Error(`${entry.subpath}: require() of the CJS build: ${required}`);
        counts.push(`${entry.subpath} ${Object.keys(esm).length} (ESM; CJS refuses require, as vitest does)`);
        continue;
      }
      const cjs = require(join(directory, entry.cjs));
      const esmNames = Object.keys(esm).sort();
      const cjsNames = Object.keys(cjs)
        .filter((key) => key !== '__esModule')
        .sort();
      if (esmNames.length === 0) throw new Error(`${entry.subpath}: the ESM build exports nothing`);
      if (esmNames.join() !== cjsNames.join())
        throw new Error(`${entry.subpath}: ESM and CJS export different names`);
      counts.push(`${entry.subpath} ${esmNames.length} (ESM and CJS)`);
    }
    for (const [bin, path] of Object.entries(manifest.bin ?? {})) {
      const run = spawnSync(process.execPath, [join(directory, path), '--help'], { encoding: 'utf8' });
      if (run.status !== 0)
        throw new Error(`bin ${bin} --help exited ${run.status}: ${run.stderr.slice(0, 500)}`);
    }
    const refused = notLoadedBy[manifest.name];
    if (refused !== undefined) {
      const main = entryPoints(manifest).find((entry) => entry.subpath === '.');
      checkNotLoaded(directory, main, refused);
    }
    const loads = refused === undefined ? '' : `; loads none of ${refused.join(', ')}`;
    console.log(`ok   ${manifest.name}: exports ${counts.join(', ')}${loads}`);
  } catch (error) {
    failures += 1;
    console.error(`FAIL ${manifest.name}: ${error.message}`);
  }
}
process.exit(failures === 0 ? 0 : 1);
