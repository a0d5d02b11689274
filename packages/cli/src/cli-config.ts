import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CliIo } from './cli-io';
import { UsageError } from './usage-error';

/** Flags every command that talks to Kafka takes. */
export const connectionFlags = {
  brokers: { type: 'string' },
  'client-id': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const connectionFlagsHelp = `  --brokers <host:port,...>  Kafka brokers (env KAFKA_BROKERS, INLET_BROKERS)
  --client-id <id>           Kafka client id (env INLET_CLIENT_ID; default inlet-cli)
  --config <file.json>       read settings from a JSON file (env INLET_CONFIG)
  --json                     print the result as JSON on stdout
  --progress                 show progress on stderr even when it is not a terminal
  -h, --help                 this text`;

/** Settings after flags, environment and config file are merged (in that order of precedence). */
export interface CliConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly registryUrl: string | undefined;
}

interface ConfigFile {
  readonly brokers?: string | readonly string[];
  readonly clientId?: string;
  readonly registryUrl?: string;
}

const configFileKeys = ['brokers', 'clientId', 'registryUrl'];

async function readConfigFile(path: string, cwd: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${path}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--config ${path}: not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--config ${path}: expected a JSON object`);
  for (const key of Object.keys(parsed))
    if (!configFileKeys.includes(key))
      throw new UsageError(`--config ${path}: unknown key "${key}" (known: ${configFileKeys.join(', ')})`);
  const file = parsed as Record<string, unknown>;
  const brokers = file.brokers;
  if (
    brokers !== undefined &&
    typeof brokers !== 'string' &&
    !(Array.isArray(brokers) && brokers.every((broker) => typeof broker === 'string'))
  )
    throw new UsageError(`--config ${path}: "brokers" must be a string or an array of strings`);
  for (const key of ['clientId', 'registryUrl'])
    if (file[key] !== undefined && typeof file[key] !== 'string')
      throw new UsageError(`--config ${path}: "${key}" must be a string`);
  return parsed as ConfigFile;
}

function splitBrokers(text: string): string[] {
  return text
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
}

/** Merges `--flags`, then `KAFKA_BROKERS` / `SCHEMA_REGISTRY_URL` / `INLET_*`, then the config file. */
export async function resolveConfig(
  flags: { readonly brokers?: string; readonly 'client-id'?: string; readonly config?: string },
  io: CliIo,
  registryFlag?: string,
): Promise<CliConfig> {
  const configPath = flags.config ?? io.env.INLET_CONFIG;
  const file = configPath === undefined ? {} : await readConfigFile(configPath, io.cwd);
  const brokersText = flags.brokers ?? io.env.KAFKA_BROKERS ?? io.env.INLET_BROKERS;
  const brokers =
    brokersText !== undefined
      ? splitBrokers(brokersText)
      : typeof file.brokers === 'string'
        ? splitBrokers(file.brokers)
        : [...(file.brokers ?? [])];
  if (brokers.length === 0)
    throw new UsageError('no Kafka brokers: give --brokers, set KAFKA_BROKERS or "brokers" in --config');
  return {
    brokers,
    clientId: flags['client-id'] ?? io.env.INLET_CLIENT_ID ?? file.clientId ?? 'inlet-cli',
    registryUrl: registryFlag ?? io.env.SCHEMA_REGISTRY_URL ?? file.registryUrl,
  };
}
