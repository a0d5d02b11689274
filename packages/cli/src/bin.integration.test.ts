import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// The committed shim bin/inlet.js runs the built dist/cli.js: build first (never test a stale
// build), then check the contract the published command keeps: help, exit codes, usage errors.

const packageDir = fileURLToPath(new URL('..', import.meta.url));

function runBin(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/inlet.js', ...args],
      { cwd: packageDir, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        }),
    );
  });
}

// The command and every workspace package it loads (turbo skips what is built already).
beforeAll(() => {
  execFileSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@inlet/cli...', '--output-logs=errors-only'],
    {
      cwd: packageDir,
      stdio: 'pipe',
      timeout: 115_000,
    },
  );
}, 120_000);

describe('bin/inlet.js (built)', () => {
  it('prints help with exit 0', async () => {
    const run = await runBin(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: inlet <command>');
  });

  it('exits 2 on a mistyped flag, naming the closest', async () => {
    const run = await runBin(['lag', '--gruop', 'g']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown flag --gruop (did you mean --group?)');
  });
});
