import { connectionFlags, connectionFlagsHelp, resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import { type Command, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { openTransport } from '../kafka-connection';
import { parseArgs } from '../parse-args';
import { UsageError } from '../usage-error';
import { formatLagReport, lagReport } from './lag-report';
import { topicsWithCommits } from './read-group-lag';

const usage = `usage: inlet lag --group <group> [--topic <topic>[,<topic>...]] [options]

Shows a consumer group's lag per partition: committed offset, log end, lag in events, and lag
in time (the age of the oldest unconsumed record, read from its timestamp), with totals per
topic (events summed, the oldest record) and for the group.
Without --topic, every topic where the group has committed offsets.

  --group <group>            the consumer group (required)
  --topic <topics>           only these topics, comma-separated
  --max-lag <n>              exit 1 when the group's total lag is above n events
  --max-lag-seconds <n>      exit 1 when its oldest unconsumed record is older than n seconds
${connectionFlagsHelp}

--json prints {"group": string, "partitions": [{"topic", "partition", "committed": string|null,
"end": string, "lag": number, "lagSeconds": number|null}], "topics": [{"topic", "lag",
"lagSeconds"}], "totalLag": number, "lagSeconds": number|null, "thresholds": {"maxLag",
"maxLagSeconds", "exceeded": ("lag"|"lagSeconds")[]}}; lagSeconds is null when nothing is behind.
Exit 0 on success, 1 when a --max-lag or --max-lag-seconds threshold is exceeded, 2 usage,
3 Kafka error.`;

const flagSpecs = {
  ...connectionFlags,
  group: { type: 'string' },
  topic: { type: 'string' },
  'max-lag': { type: 'number' },
  'max-lag-seconds': { type: 'number' },
} as const;

function threshold(flag: string, value: number | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (value < 0 || (integer && !Number.isInteger(value)))
    throw new UsageError(
      `--${flag} expects ${integer ? 'an integer' : 'a number'} of at least 0, got ${value}`,
    );
  return value;
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(args, flagSpecs);
  if (flags.help) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const group = flags.group;
  if (group === undefined || group === '') throw new UsageError('--group is required');
  const named = flags.topic?.split(',').map((topic) => topic.trim());
  if (named?.some((topic) => topic === '')) throw new UsageError('--topic has an empty name');
  const maxLag = threshold('max-lag', flags['max-lag'], true);
  const maxLagSeconds = threshold('max-lag-seconds', flags['max-lag-seconds'], false);
  const config = await resolveConfig(flags, io);
  // Loaded here, not at start-up: the other commands need no metrics client.
  const { readGroupLag } = await import('@inlet/monitor');
  await using transport = openTransport(config);
  const topics = named ?? (await topicsWithCommits(transport.admin(), group));
  const lags =
    topics.length === 0
      ? []
      : await readGroupLag({
          transport,
          groupId: group,
          topics,
          ...(io.signal === undefined ? {} : { signal: io.signal }),
        });
  const report = lagReport(group, lags, { maxLag, maxLagSeconds });
  if (flags.json) printJson(io, report);
  else io.stdout(formatLagReport(report));
  const { exceeded } = report.thresholds;
  if (exceeded.includes('lag')) io.stderr(`inlet lag: lag ${report.totalLag} is above --max-lag ${maxLag}\n`);
  if (exceeded.includes('lagSeconds'))
    io.stderr(
      `inlet lag: the oldest unconsumed record is ${report.lagSeconds}s old, above --max-lag-seconds ${maxLagSeconds}\n`,
    );
  return exceeded.length > 0 ? ExitCode.failure : ExitCode.ok;
}

export const lagCommand: Command = {
  name: 'lag',
  summary: 'consumer group lag per partition, in events and in time',
  usage,
  run,
};
