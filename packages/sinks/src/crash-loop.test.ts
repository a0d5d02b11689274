import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crashLoop, startPipelineChild } from './crash-loop.test-support';

// The harness on stand-in children: a counter that keeps its progress in a file (as a pipeline
// keeps its offsets), and children that fail.

const dir = mkdtempSync(join(tmpdir(), 'inlet-crash-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = (name: string, source: string) => {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
};

const counter = script(
  'counter.mjs',
  `import { readFileSync, writeFileSync } from 'node:fs';
const file = process.env.STATE;
let written = 0;
let count = Number(readFileSync(file, 'utf8'));
process.stdout.write('READY\\n');
setInterval(() => {
  if (count < Number(process.env.TOTAL)) { count += 1; written += 1; writeFileSync(file, String(count)); }
  process.stdout.write('WRITTEN ' + written + '\\n');
}, 2);
process.once('SIGTERM', () => process.exit(0));
`,
);

describe('crashLoop', () => {
  it('kills each child at a random point past the least, restarts, and runs the last to done', async () => {
    const state = join(dir, 'state');
    writeFileSync(state, '0');
    const total = 400;
    const done = async () => Number(readFileSync(state, 'utf8')) >= total;
    const { killedMidway } = await crashLoop({
      script: counter,
      env: { STATE: state, TOTAL: String(total) },
      kills: 3,
      killAfter: { least: 20, spread: 30 },
      done,
    });
    expect(killedMidway).toBe(3);
    expect(Number(readFileSync(state, 'utf8'))).toBe(total);
  }, 60_000);

  it("rejects READY with the child's exit and stderr when it dies first", async () => {
    const failing = script('failing.mjs', `process.stderr.write('no broker here\\n'); process.exit(3);`);
    const child = startPipelineChild(failing, {});
    await expect(child.ready).rejects.toThrow(/exited with 3; stderr: no broker here/);
  }, 30_000);

  it('fails at once, with stderr, when a child dies before its kill point', async () => {
    const dying = script(
      'dying.mjs',
      `process.stdout.write('READY\\n'); setTimeout(() => { process.stderr.write('lost the database\\n'); process.exit(1); }, 20);`,
    );
    const started = Date.now();
    await expect(
      crashLoop({
        script: dying,
        env: {},
        kills: 1,
        killAfter: { least: 100, spread: 1 },
        done: async () => false,
      }),
    ).rejects.toThrow(/exited with 1; stderr: lost the database/);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
