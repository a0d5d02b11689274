import type { CliIo } from '../cli-io';
import type { Command } from '../command';
import { ExitCode } from '../exit-codes';
import { UsageError } from '../usage-error';

const usage = `usage: inlet reconcile [options]

Not wired yet: this command needs @inlet/reconcile, which compares a sink with the topic it was built from and reports (or repairs) the differences.
Until it is wired, it exits 2 (usage error) and does nothing.

  -h, --help                 this text`;

async function run(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  throw new UsageError('not wired yet: this command needs @inlet/reconcile');
}

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'not wired yet (needs @inlet/reconcile)',
  usage,
  run,
};
