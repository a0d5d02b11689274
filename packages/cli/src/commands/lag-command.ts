import { connectionFlags, connectionFlagsHelp, resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import { type Command, formatTable, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { openTransport } from '../kafka-connection';
import { parseArgs } from '../parse-args';
import { UsageError } from '../usage-error';
import { readGroupLag } from './read-group-lag';

const usage = `usage: inlet lag --group <group> [--topic <topic>] [options]

Shows a consumer group's committed offset, the log end and the lag per partition (offsets only).
Without --topic, every topic where the group has committed offsets.

  --group <group>            the consumer group (required)
  --topic <topic>            only this topic
${connectionFlagsHelp}

--json prints {"group": string, "partitions": [{"topic", "partition", "committed": string|null,
"end": string, "lag": number}], "totalLag": number}. Exit 0 on success, 2 usage, 3 Kafka error.`;

const flagSpecs = { ...connectionFlags, group: { type: 'string' }, topic: { type: 'string' } } as const;

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(args, flagSpecs);
  if (flags.help) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (flags.group === undefined) throw new UsageError('--group is required');
  const config = await resolveConfig(flags, io);
  await using transport = openTransport(config);
  const partitions = await readGroupLag(transport.admin(), flags.group, flags.topic);
  const totalLag = partitions.reduce((sum, partition) => sum + partition.lag, 0);
  if (flags.json) printJson(io, { group: flags.group, partitions, totalLag });
  else {
    io.stdout(
      formatTable(
        ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'],
        partitions.map((p) => [p.topic, String(p.partition), p.committed ?? '-', p.end, String(p.lag)]),
      ),
    );
    io.stdout(`total lag ${totalLag}\n`);
  }
  return ExitCode.ok;
}

export const lagCommand: Command = { name: 'lag', summary: 'consumer group lag per partition', usage, run };
