import type { CliIo } from '../cli-io';
import type { Command } from '../command';
import { ExitCode } from '../exit-codes';
import { UsageError } from '../usage-error';

const usage = `usage: inlet monitor [options]

Not wired yet: this command needs @inlet/monitor, which serves the status page and /metrics for consumer groups.
Until it is wired, it exits 2 (usage error) and does nothing.

  -h, --help                 this text`;

async function run(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  throw new UsageError('not wired yet: this command needs @inlet/monitor');
}

export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'not wired yet (needs @inlet/monitor)',
  usage,
  run,
};
