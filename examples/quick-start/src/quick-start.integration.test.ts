import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

// The quick start in the root README, run as printed: only the names it creates (topic, table,
// group) and the addresses of the servers are those of this test run.

const environment = testEnvironment();
const root = fileURLToPath(new URL('../../../', import.meta.url));
const here = fileURLToPath(new URL('../', import.meta.url));

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile(command, args, { cwd: here, timeout: 90_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

async function quickStartCode(): Promise<string> {
  const readme = await readFile(`${root}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const code = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (code === undefined) throw new Error('README.md has no ts block under "## Quick start"');
  return code;
}

describe("the README's quick start", () => {
  it('is at most 30 lines, and runs: the order lands in PostgreSQL at its last revision', async () => {
    const code = await quickStartCode();
    expect(code.split('\n').length).toBeLessThanOrEqual(30);
    const names = {
      topic: uniqueName('qs_orders').replaceAll('-', '_'),
      group: uniqueName('qs-order-table'),
    };
    const runnable = code
      .replaceAll("name: 'orders'", `name: '${names.topic}'`)
      .replaceAll("table: 'orders'", `table: '${names.topic}'`)
      .replaceAll("groupId: 'order-table'", `groupId: '${names.group}'`)
      .replaceAll("['127.0.0.1:9092']", JSON.stringify(environment.kafkaBrokers))
      .replaceAll("'postgres://postgres@127.0.0.1:5432/test'", JSON.stringify(environment.databaseUrl));
    expect(runnable).not.toBe(code);
    const directory = `${here}.run`;
    await mkdir(directory, { recursive: true });
    const file = `${directory}/${names.group}.mts`;
    await writeFile(file, runnable);
    // As printed, it type-checks strictly: the event types are inferred, nothing is cast.
    await writeFile(
      `${directory}/tsconfig.json`,
      JSON.stringify({
        extends: '../../../tsconfig.base.json',
        compilerOptions: { noEmit: true },
        include: ['*.mts'],
      }),
    );
    await run(process.execPath, [
      `${root}node_modules/typescript/bin/tsc`,
      '-p',
      `${directory}/tsconfig.json`,
    ]);
    const pool = new pg.Pool({ connectionString: environment.databaseUrl });
    try {
      await run(process.execPath, ['--import', 'tsx', '--conditions=@inlet/source', file]);
      const { rows } = await pool.query(`select key, status, entity_version from ${names.topic}`);
      expect(rows).toEqual([{ key: 'o-1', status: 'shipped', entity_version: '2' }]);
    } finally {
      await pool.query(`drop table if exists ${names.topic}`).catch(() => undefined);
      await pool.end();
      await rm(file, { force: true });
    }
  }, 120_000);
});
