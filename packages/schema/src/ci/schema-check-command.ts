import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { InletError, InletErrorCode, type TopicDefinition } from '@inlet/core';
import { describeBreakingChange } from '../compatibility/check-compatibility';
import { openSchemaRegistry } from '../registry/open-schema-registry';
import type { SchemaRegistry } from '../registry/schema-registry';
import type { SubjectNaming } from '../resolver/subject-naming';
import { type CompatibilityCheckResult, checkCompatibility } from './check-compatibility';

export const schemaCheckUsage = `usage: inlet schema check --registry <url | file:path> <definitions module>... [options]

Checks every topic definition exported by the given modules against a schema registry, without
registering anything. Exits 0 when all are registered or compatible, 1 when any would break
consumers, 2 on a usage error, 3 when the check could not run (registry unreachable, invalid
schema, a module that does not load).

  --registry <url>          Confluent-compatible REST API base URL, or file:<path> for an
                            embedded registry kept in that file (env: SCHEMA_REGISTRY_URL)
  --subject-naming <name>   topic | record | topic-record (default topic-record)
  --json                    print the result as JSON
  --quiet                   print only problems
  -h, --help                this text

Credentials come from the environment, not the command line: SCHEMA_REGISTRY_USERNAME and
SCHEMA_REGISTRY_PASSWORD (basic) or SCHEMA_REGISTRY_TOKEN (bearer), or a user:password@ in
SCHEMA_REGISTRY_URL. The URL is only ever printed with its password as ***.`;

export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

function isTopicDefinition(value: unknown): value is TopicDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TopicDefinition).name === 'string' &&
    Array.isArray((value as TopicDefinition).events) &&
    typeof (value as TopicDefinition).find === 'function'
  );
}

async function loadTopics(modules: readonly string[], cwd: string): Promise<TopicDefinition[]> {
  const topics: TopicDefinition[] = [];
  for (const module of modules) {
    const loaded = (await import(pathToFileURL(resolve(cwd, module)).href)) as Record<string, unknown>;
    const found = Object.values(loaded).filter(isTopicDefinition);
    if (found.length === 0) throw new Error(`${module} exports no topic definitions (defineTopic)`);
    topics.push(...found);
  }
  return topics;
}

function printHuman(result: CompatibilityCheckResult, quiet: boolean, io: CommandIo): void {
  for (const check of result.definitions) {
    const name = `${check.topic} ${check.type} v${check.version} (subject ${check.subject})`;
    if (check.status === 'registered' || check.status === 'compatible') {
      if (!quiet)
        io.out(`ok    ${name}: ${check.status === 'registered' ? 'already registered' : 'compatible'}`);
    } else if (check.status === 'incompatible') {
      io.out(`FAIL  ${name}: not ${check.report?.mode} compatible`);
      for (const change of check.report?.breakingChanges ?? [])
        io.out(`        ${describeBreakingChange(change)}`);
    } else {
      io.out(`ERROR ${name}: ${check.error?.code} ${check.error?.message}`);
    }
  }
  const failed = result.definitions.filter((check) => check.status === 'incompatible').length;
  const errors = result.definitions.filter((check) => check.status === 'error').length;
  io.out(`${result.definitions.length} definitions checked: ${failed} incompatible, ${errors} errors`);
}

/** `inlet schema check` (run by @inlet/cli): returns the exit code. */
export async function runSchemaCheckCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        registry: { type: 'string' },
        'subject-naming': { type: 'string' },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err(`inlet schema: ${error instanceof Error ? error.message : String(error)}\n\n${schemaCheckUsage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(schemaCheckUsage);
    return 0;
  }
  const [command, ...modules] = positionals;
  const registryLocation = (values.registry as string | undefined) ?? io.env.SCHEMA_REGISTRY_URL;
  const naming = (values['subject-naming'] as string | undefined) ?? 'topic-record';
  const problems: string[] = [];
  if (command !== 'check')
    problems.push(command === undefined ? 'missing command: check' : `unknown command "${command}"`);
  if (modules.length === 0) problems.push('give at least one definitions module');
  if (registryLocation === undefined) problems.push('give --registry or set SCHEMA_REGISTRY_URL');
  if (!['topic', 'record', 'topic-record'].includes(naming))
    problems.push(`--subject-naming "${naming}" is not topic, record or topic-record`);
  if (problems.length > 0) {
    io.err(`inlet schema: ${problems.join('; ')}\n\n${schemaCheckUsage}`);
    return 2;
  }

  let topics: TopicDefinition[];
  try {
    topics = await loadTopics(modules, io.cwd);
  } catch (error) {
    io.err(
      `inlet schema: cannot load definitions: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 3;
  }
  let registry: SchemaRegistry;
  try {
    registry = openSchemaRegistry(registryLocation as string, { env: io.env, cwd: io.cwd });
  } catch (error) {
    // The registry's own errors show its URL with the password replaced; print nothing else of it.
    if (!InletError.hasCode(error, InletErrorCode.invalidOption)) throw error;
    io.err(`inlet schema: --registry: ${error.message}`);
    return 2;
  }
  try {
    const result = await checkCompatibility(topics, registry, {
      subjectNaming: naming as SubjectNaming,
      onProgress: (check, done, total) => {
        if (!values.json && !values.quiet) io.err(`[${done}/${total}] ${check.subject}: ${check.status}`);
      },
    });
    if (values.json)
      io.out(
        JSON.stringify(result, (key, value) =>
          key === 'error' && InletError.is(value) ? { code: value.code, message: value.message } : value,
        ),
      );
    else printHuman(result, values.quiet === true, io);
    if (result.definitions.some((check) => check.status === 'error')) return 3;
    return result.ok ? 0 : 1;
  } finally {
    await registry.close();
  }
}
