// Importing @inlet/core must load no Kafka client (nor a database driver): transports live in
// their own packages (@inlet/kafkajs, @inlet/backbone). This checks the source; the smoke script
// (scripts/smoke-built-packages.mjs) checks the built bundles by loading them.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const sourceRoot = fileURLToPath(new URL('.', import.meta.url));
const clients = ['kafkajs', 'pg', 'ioredis'];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.test(-d)?\.ts$|\.test-support\.ts$/.test(entry.name) ? [path] : [];
  });
}

function importedModules(text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1] ?? '');
  return specifiers.map((specifier) => specifier.split('/')[0] ?? specifier);
}

describe('@inlet/core', () => {
  it('depends on no Kafka client or database driver', () => {
    const manifest = JSON.parse(readFileSync(join(sourceRoot, '..', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const runtime = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
    expect(runtime.filter((name) => clients.includes(name))).toEqual([]);
  });

  it('imports none in its source', () => {
    const offenders = sourceFiles(sourceRoot).flatMap((path) =>
      importedModules(readFileSync(path, 'utf8'))
        .filter((module) => clients.includes(module))
        .map((module) => `${relative(sourceRoot, path)} imports ${module}`),
    );
    expect(offenders).toEqual([]);
  });
});
