import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testEnvironment } from '@inlet/test-support';

export interface InletRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Runs `inlet` through its real entry point, from source (src/cli-main.ts with tsx and the
 * @inlet/source condition, so no stale build is tested), with the test run's servers in its
 * environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL, REDIS_URL) and then `env`.
 */
export function runInlet(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<InletRun> {
  const { kafkaBrokers, schemaRegistryUrl, databaseUrl, redisUrl } = testEnvironment();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@inlet/source', '--import', 'tsx', 'packages/cli/src/cli-main.ts', ...args],
      {
        cwd: repoRoot,
        timeout: 90_000,
        env: {
          ...process.env,
          KAFKA_BROKERS: kafkaBrokers.join(','),
          SCHEMA_REGISTRY_URL: schemaRegistryUrl,
          DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
