import { type ReplayPlan, type ReplayStart, replayGroup } from '@inlet/consumer';
import { connectionFlags, connectionFlagsHelp, resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import { type Command, formatTable, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { openTransport } from '../kafka-connection';
import { parseArgs } from '../parse-args';
import { createProgress } from '../progress';
import { UsageError } from '../usage-error';

const usage = `usage: inlet replay --group <group> --topic <topic> --to <iso time|earliest|latest> [--execute]

Moves a consumer group back (or forward) to a point in time, so its consumers read again.
A dry run by default: shows per partition the committed offset now, the target offset and how
many records would be re-read. --execute applies it; the group must have no active members
(stop its consumers first). Consumers that deduplicate skip events still in their dedup window.

  --group <group>            the consumer group (required)
  --topic <topic>            the topic (required; repeatable)
  --to <when>                an ISO-8601 time (by record timestamp), earliest or latest (required)
  --execute                  move the group (default: dry run)
${connectionFlagsHelp}

--json prints {"group", "dryRun": boolean, "executed": boolean, "partitions": [{"topic",
"partition", "committed": string ("-1": none), "target": string, "rereads": number}],
"totalRereads": number}. Exit 0 on success, 1 refused (the group has active members),
2 usage, 3 Kafka error.`;

const flagSpecs = {
  ...connectionFlags,
  group: { type: 'string' },
  topic: { type: 'strings' },
  to: { type: 'string' },
  execute: { type: 'boolean' },
} as const;

export function parseReplayTarget(text: string): ReplayStart {
  if (text === 'earliest' || text === 'latest') return { offset: text };
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at))
    throw new UsageError(`--to expects an ISO-8601 time, earliest or latest, got "${text}"`);
  return { timestamp: at };
}

function printPlan(plan: ReplayPlan, io: CliIo): void {
  io.stdout(
    formatTable(
      ['TOPIC', 'PARTITION', 'COMMITTED', 'TARGET', 'REREADS'],
      plan.partitions.map((p) => [p.topic, String(p.partition), p.committed, p.target, String(p.rereads)]),
    ),
  );
  io.stdout(
    plan.dryRun
      ? `dry run: ${plan.totalRereads} records would be re-read; add --execute to move group ${plan.groupId}\n`
      : `group ${plan.groupId} moved: ${plan.totalRereads} records will be re-read\n`,
  );
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(args, flagSpecs);
  if (flags.help) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (flags.group === undefined) throw new UsageError('--group is required');
  if (flags.topic === undefined) throw new UsageError('--topic is required');
  if (flags.to === undefined) throw new UsageError('--to is required');
  const from = parseReplayTarget(flags.to);
  const config = await resolveConfig(flags, io);
  await using transport = openTransport(config);
  const execute = flags.execute === true;
  if (execute) {
    const group = await transport.admin().describeGroup(flags.group);
    if (group.members.length > 0) {
      io.stderr(
        `inlet replay: refused: group ${flags.group} has ${group.members.length} active member(s) (state ${group.state}); stop its consumers first\n`,
      );
      return ExitCode.failure;
    }
  }
  const progress = createProgress('partitions planned', io, flags.progress);
  const plan = await replayGroup({
    transport,
    groupId: flags.group,
    topics: flags.topic,
    from,
    dryRun: !execute,
    onProgress: (_planned, done) => progress.update(done, done),
  });
  progress.finish();
  if (flags.json)
    printJson(io, {
      group: plan.groupId,
      dryRun: plan.dryRun,
      executed: !plan.dryRun,
      partitions: plan.partitions,
      totalRereads: plan.totalRereads,
    });
  else printPlan(plan, io);
  return ExitCode.ok;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'move a consumer group back to a time (dry run by default)',
  usage,
  run,
};
