import { inject } from 'vitest';
import { defaultTestEnvironment, type TestEnvironment } from './environment';

export { type DedicatedBroker, startDedicatedBroker } from './dedicated-broker';
export { type DedicatedPostgres, startDedicatedPostgres } from './dedicated-postgres';
export { type DedicatedRedis, startDedicatedRedis } from './dedicated-redis';
export type { TestEnvironment } from './environment';
export { type ConsoleRecord, javaConsoleProduce } from './java-console-producer';
export { type KcatReadRecord, type KcatRecord, kcatConsume, kcatProduce } from './kcat';
export { serverScript } from './servers';

/** The servers of this test run (from the global setup, or the environment variables). */
export function testEnvironment(): TestEnvironment {
  return inject('inletTestEnvironment') ?? defaultTestEnvironment(process.env);
}

let nameCounter = 0;
/** A name no other test (in this run or an earlier one) uses: topics, groups, tables, keys. */
export function uniqueName(prefix: string): string {
  nameCounter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${nameCounter}-${random}`;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}
