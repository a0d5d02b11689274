import { runSchemaCheckCommand, schemaCheckUsage } from '@inlet/schema';
import { resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import type { Command } from '../command';
import { ExitCode } from '../exit-codes';
import { closest, parseArgs } from '../parse-args';
import { UsageError } from '../usage-error';

const usage = `${schemaCheckUsage}

  --config <file.json>      take the registry URL from "registryUrl" in this file (env INLET_CONFIG)

--json prints the CompatibilityCheckResult of @inlet/schema: {"ok": boolean, "definitions":
[{"topic", "type", "version", "subject", "status": "registered"|"compatible"|"incompatible"|"error",
"report"?, "error"?: {"code", "message"}}]}.`;

const flagSpecs = {
  registry: { type: 'string' },
  'subject-naming': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `inlet schema check`: the check of `@inlet/schema` (same semantics and exit codes), with this
 * CLI's flag checking (typos named, closest flag suggested) and config file.
 */
async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(args, flagSpecs);
  if (flags.help) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  const [subcommand, ...modules] = positionals;
  if (subcommand !== 'check') {
    const suggestion = subcommand === undefined ? undefined : closest(subcommand, ['check']);
    throw new UsageError(
      subcommand === undefined
        ? 'give a subcommand: check'
        : `unknown subcommand "${subcommand}"${suggestion === undefined ? '' : ' (did you mean check?)'}`,
    );
  }
  if (modules.length === 0) throw new UsageError('give at least one definitions module');
  let registry = flags.registry;
  if (registry === undefined && (flags.config !== undefined || io.env.INLET_CONFIG !== undefined)) {
    // Brokers are not needed here: only the registry URL is taken from the file.
    const config = await resolveConfig(
      { brokers: 'unused', ...(flags.config === undefined ? {} : { config: flags.config }) },
      io,
    );
    registry = config.registryUrl;
  }
  const forwarded = [
    'check',
    ...(registry === undefined ? [] : ['--registry', registry]),
    ...(flags['subject-naming'] === undefined ? [] : ['--subject-naming', flags['subject-naming']]),
    ...(flags.json ? ['--json'] : []),
    ...(flags.quiet ? ['--quiet'] : []),
    '--',
    ...modules,
  ];
  return runSchemaCheckCommand(forwarded, {
    out: (line) => io.stdout(`${line}\n`),
    err: (line) => io.stderr(`${line}\n`),
    env: io.env,
    cwd: io.cwd,
  });
}

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'check topic definitions against the schema registry',
  usage,
  run,
};
