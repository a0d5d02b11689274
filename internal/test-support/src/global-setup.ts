import type { TestProject } from 'vitest/node';
import { defaultTestEnvironment, type TestEnvironment } from './environment';
import { checkProvidedServices, ensureServerRunning, type ServerName, serverScript } from './servers';

declare module 'vitest' {
  export interface ProvidedContext {
    inletTestEnvironment: TestEnvironment;
  }
}

/**
 * Integration tests talk to real servers. When KAFKA_BROKERS / SCHEMA_REGISTRY_URL are unset,
 * this starts the repo's own broker and registry (or reuses running ones) and, at the end,
 * stops only what it started itself. INLET_KEEP_SERVERS=1 leaves them running for the next run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: ServerName[] = [];
  const environment = defaultTestEnvironment(process.env);

  await checkProvidedServices();
  if (!process.env.KAFKA_BROKERS && (await ensureServerRunning('kafka'))) started.push('kafka');
  if (!process.env.SCHEMA_REGISTRY_URL && (await ensureServerRunning('registry'))) started.push('registry');

  project.provide('inletTestEnvironment', environment);

  return async () => {
    if (process.env.INLET_KEEP_SERVERS === '1') return;
    for (const name of started.reverse()) await serverScript(name, 'stop');
  };
}
