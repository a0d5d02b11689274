#!/usr/bin/env node
// `pnpm pack:all`: builds every publishable package (each non-private packages/*) and packs it
// with `pnpm pack` into .packs/, the way it would be published: `workspace:` ranges become real
// versions. Tarball names are `<scope>-<name>-<version>.tgz`, so the same sources give the same
// paths. Each tarball is checked before it is kept: its entry points are in it, README.md is, no
// test or fixture file is, and every @inlet dependency names a version that was packed with it.
//
// Standard output is the tarball paths, one a line (`npm install $(pnpm -s pack:all)` works);
// progress goes to standard error. .packs/packages.json lists each package with its tarball and
// its @inlet dependencies, for scripts that install a subset (scripts/check-standalone-app.sh).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packsDir = join(root, '.packs');
const scope = '@inlet/';
// What a tarball must never carry: the `files` fields exclude these, this catches a package that
// forgets to.
const forbiddenFile =
  /(\.test\.ts|\.test-d\.ts|\.fixture\.ts|\.test-support\.ts)$|(^|\/)(fixtures|__tests__)\//;
const dependencyFields = ['dependencies', 'peerDependencies', 'optionalDependencies'];

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${relative(root, cwd) || '.'}) exited ${result.status}`,
    );
  }
}

function output(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}

function publishablePackages() {
  const found = [];
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const directory = join(root, 'packages', name);
    const manifestPath = join(directory, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private) continue;
    found.push({ directory, manifest });
  }
  return found;
}

/** Every path a consumer of the package can be sent to: exports leaves, main/module/types, bins. */
function entryPoints(manifest) {
  const paths = new Set();
  const walk = (target) => {
    if (typeof target === 'string') paths.add(target);
    else if (target !== null && typeof target === 'object') Object.values(target).forEach(walk);
  };
  walk(manifest.exports);
  for (const field of ['main', 'module', 'types']) if (manifest[field]) paths.add(manifest[field]);
  const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
  for (const bin of bins) paths.add(bin);
  return [...paths].filter((path) => !path.includes('*')).map((path) => path.replace(/^\.\//, ''));
}

function checkTarball(tarball, packedVersions) {
  const problems = [];
  const warnings = [];
  const files = output('tar', ['-tzf', tarball], root)
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''));
  const contents = new Set(files);
  const manifest = JSON.parse(output('tar', ['-xzOf', tarball, 'package/package.json'], root));

  for (const path of entryPoints(manifest)) {
    if (!contents.has(path)) problems.push(`entry point ${path} is not in the tarball`);
  }
  if (!files.some((path) => path.startsWith('dist/'))) problems.push('no dist/ in the tarball');
  if (!contents.has('README.md')) problems.push('no README.md in the tarball');
  if (manifest.license && !files.some((path) => /^(LICEN[CS]E|COPYING)(\.|$)/i.test(path))) {
    warnings.push(`license ${manifest.license} but no LICENSE file in the tarball`);
  }
  for (const path of files.filter((file) => forbiddenFile.test(file))) {
    problems.push(`${path} is a test or fixture file`);
  }
  const inletDependencies = {};
  for (const field of [...dependencyFields, 'devDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${name} is still ${range}`);
      if (field === 'devDependencies' || !name.startsWith(scope)) continue;
      inletDependencies[name] = range;
      const packed = packedVersions.get(name);
      if (packed === undefined) problems.push(`${field}.${name}: no publishable package of that name`);
      else if (!satisfiesCaret(packed, range)) {
        problems.push(`${field}.${name}: ${range} does not accept the packed ${packed}`);
      }
    }
  }
  return { manifest, problems, warnings, inletDependencies };
}

/** Enough of semver for what `pnpm pack` writes for `workspace:` ranges: exact, ^x.y.z, ~x.y.z. */
function satisfiesCaret(version, range) {
  const match = /^([~^]?)(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!match) return false;
  const [, operator, ...wanted] = match;
  const have = version.split('.').map(Number);
  const want = wanted.map(Number);
  const compare = have.findIndex((part, index) => part !== want[index]);
  if (operator === '') return compare === -1;
  if (compare !== -1 && have[compare] < want[compare]) return false;
  if (operator === '~') return have[0] === want[0] && have[1] === want[1];
  const fixed = want[0] !== 0 ? 1 : want[1] !== 0 ? 2 : 3; // ^0.1.2 keeps 0.1, ^0.0.3 is exact
  return have.slice(0, fixed).every((part, index) => part === want[index]);
}

function main() {
  const packages = publishablePackages();
  if (packages.length === 0) throw new Error('no publishable package under packages/');
  const packedVersions = new Map(packages.map(({ manifest }) => [manifest.name, manifest.version]));

  console.error(`building ${packages.map(({ manifest }) => manifest.name).join(', ')}`);
  const filters = packages.map(({ manifest }) => `--filter=${manifest.name}`);
  run('pnpm', ['exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], root);

  // Old tarballs go, so the folder holds exactly this build's packages (a renamed or removed
  // package leaves nothing behind that an install could pick up).
  rmSync(packsDir, { recursive: true, force: true });
  mkdirSync(packsDir, { recursive: true });
  const packed = [];
  let failed = false;
  for (const { directory, manifest } of packages) {
    const tarball = join(
      packsDir,
      `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`,
    );
    output('pnpm', ['pack', '--pack-destination', packsDir], directory); // its file list is noise here
    if (!existsSync(tarball)) throw new Error(`pnpm pack did not write ${tarball}`);
    const { problems, warnings, inletDependencies } = checkTarball(tarball, packedVersions);
    for (const warning of warnings) console.error(`warn ${manifest.name}: ${warning}`);
    for (const problem of problems) console.error(`FAIL ${manifest.name}: ${problem}`);
    failed ||= problems.length > 0;
    packed.push({ name: manifest.name, version: manifest.version, tarball, inletDependencies });
  }
  if (failed) throw new Error('some tarballs are not fit to publish (FAIL lines above)');
  writeFileSync(join(packsDir, 'packages.json'), `${JSON.stringify(packed, null, 2)}\n`);
  console.error(`packed ${packed.length} packages into ${relative(process.cwd(), packsDir) || '.'}/`);
  for (const { tarball } of packed) console.log(tarball);
}

try {
  main();
} catch (error) {
  console.error(`pack:all failed: ${error.message}`);
  process.exit(1);
}
