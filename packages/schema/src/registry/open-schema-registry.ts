import { resolve } from 'node:path';
import { createConfluentRegistry } from './confluent-registry';
import { createEmbeddedRegistry } from './embedded-registry';
import type { SchemaRegistry } from './schema-registry';

/**
 * The registry a command line names: `file:<path>` is the embedded registry kept in that file
 * (relative to `cwd`), anything else a Confluent-compatible URL. Credentials come from the
 * environment: SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD (basic), or
 * SCHEMA_REGISTRY_TOKEN (bearer).
 */
export function openSchemaRegistry(
  location: string,
  { env, cwd }: { readonly env: NodeJS.ProcessEnv; readonly cwd: string },
): SchemaRegistry {
  if (location.startsWith('file:'))
    return createEmbeddedRegistry({ file: resolve(cwd, location.slice('file:'.length)) });
  const { SCHEMA_REGISTRY_USERNAME: username, SCHEMA_REGISTRY_PASSWORD: password } = env;
  const token = env.SCHEMA_REGISTRY_TOKEN;
  const auth =
    username !== undefined && password !== undefined
      ? { type: 'basic' as const, username, password }
      : token !== undefined
        ? { type: 'bearer' as const, token }
        : undefined;
  return createConfluentRegistry({ url: location, ...(auth === undefined ? {} : { auth }), retries: 2 });
}
