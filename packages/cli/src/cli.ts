import { InletError } from '@inlet/core';
import { type CliIo, processIo } from './cli-io';
import type { Command } from './command';
import { dlqCommand } from './commands/dlq-command';
import { lagCommand } from './commands/lag-command';
import { monitorCommand } from './commands/monitor-command';
import { reconcileCommand } from './commands/reconcile-command';
import { replayCommand } from './commands/replay-command';
import { schemaCommand } from './commands/schema-command';
import { tailCommand } from './commands/tail-command';
import { ExitCode } from './exit-codes';
import { closest } from './parse-args';
import { UsageError } from './usage-error';

/** Every `inlet` command, in the order `inlet --help` lists them. */
export const commands: readonly Command[] = [
  lagCommand,
  tailCommand,
  replayCommand,
  dlqCommand,
  schemaCommand,
  reconcileCommand,
  monitorCommand,
];

export const inletUsage = `usage: inlet <command> [options]

Commands:
${commands.map((command) => `  ${command.name.padEnd(12)} ${command.summary}`).join('\n')}

Run inlet <command> --help for a command's flags. Settings come from flags, then the
environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, INLET_BROKERS, INLET_CLIENT_ID, INLET_CONFIG),
then a --config file.json ({"brokers", "clientId", "registryUrl"}).

Exit codes: 0 ok, 1 something found or refused (incompatible schema, reconcile differences,
active group, no such letter), 2 usage error, 3 could not run (Kafka, registry, PostgreSQL or
Redis unreachable, a DuckDB file that cannot be opened, a missing table, a module that does not
load).`;

function describeFailure(error: unknown): string {
  const described = InletError.is(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  // Wrapping errors (e.g. @inlet/monitor's lag read) say what failed; their cause says why.
  const cause = error instanceof Error ? error.cause : undefined;
  if (!(cause instanceof Error) || described.includes(cause.message)) return described;
  return `${described}: ${describeFailure(cause)}`;
}

/**
 * Runs `inlet` with the given arguments (without `node` and the script) and returns the exit
 * code. `io` defaults to the process's streams and environment; tests pass their own.
 */
export async function runInlet(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(`${inletUsage}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const suggestion = closest(
      name,
      commands.map((candidate) => candidate.name),
    );
    io.stderr(
      `inlet: unknown ${name.startsWith('-') ? 'flag' : 'command'} "${name}"${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}\n\n${inletUsage}\n`,
    );
    return ExitCode.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`inlet ${name}: ${error.message}\n\n${command.usage}\n`);
      return ExitCode.usage;
    }
    io.stderr(`inlet ${name}: ${describeFailure(error)}\n`);
    return ExitCode.error;
  }
}
