import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const binaries = process.env.INLET_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/** A PostgreSQL cluster of a test's own, in a temporary directory, that the test may stop and restart. */
export interface DedicatedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  /** Fast shutdown: sessions are ended (57P01), then the server stops. */
  stop(): Promise<void>;
  /** Stop, then start on the same data and port. */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

// PostgreSQL refuses to run as root: as root, its tools run as the postgres user.
async function asPostgres(tool: string, args: readonly string[]): Promise<string> {
  const binary = path.join(binaries, tool);
  const [command, commandArgs] =
    process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, [...args]];
  const { stdout } = await run(command, commandArgs, { timeout: 60_000 });
  return stdout;
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Creates and starts a fresh cluster (`initdb` into a temporary directory, `pg_ctl start` on a
 * free port, its socket in that directory), for fault tests that stop or restart PostgreSQL
 * without disturbing the shared server.
 */
export async function startDedicatedPostgres(name: string): Promise<DedicatedPostgres> {
  const directory = await mkdtemp(path.join(os.tmpdir(), `inlet-pg-${name.replace(/[^a-z0-9-]/gi, '')}-`));
  const user = await postgresUser();
  if (user !== undefined) await chown(directory, user.uid, user.gid);
  const data = path.join(directory, 'data');
  const port = await freePort();
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const start = async () => {
    await asPostgres('pg_ctl', [
      '-D',
      data,
      '-o',
      serverOptions,
      '-l',
      path.join(directory, 'log'),
      '-w',
      'start',
    ]);
  };
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    remove: async () => {
      await stop().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
