import type { AlertRule } from '@inlet/monitor';
import { connectionFlags, connectionFlagsHelp, resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import { type Command, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { openTransport } from '../kafka-connection';
import { parseArgs } from '../parse-args';
import { UsageError } from '../usage-error';

const usage = `usage: inlet monitor --group <group> --topic <topic>[,<topic>...] [options]

Samples a consumer group's lag (in events and in seconds: the age of the oldest unconsumed
record), evaluates alert rules, and serves the status page, its JSON and Prometheus metrics:

  GET /             the status page (lag, freshness, throughput over the last hour, alerts)
  GET /api/status   the snapshot as JSON
  GET /metrics      Prometheus text

Runs until interrupted (Ctrl-C), or for --for-ms.

  --group <group>            the consumer group to watch (required)
  --topic <topics>           the topics it reads, comma-separated (required)
  --flow <name>              the flow's name on the page (default: the group)
  --port <n>                 where to listen (default 9464; 0 = any free port)
  --host <host>              the address to listen on (default 127.0.0.1)
  --sample-interval-ms <n>   how often lag is read and rules evaluated (default 5000)
  --lag-above <n>            alert when the lag is above n events
  --lag-seconds-above <n>    alert when the oldest unconsumed record is older than n seconds
  --stalled-for-ms <n>       alert when commits stop for n ms while there is lag
  --silent-for-ms <n>        alert when the topics get no record for n ms
  --for-ms <n>               stop after n ms (then print the last snapshot with --json)
${connectionFlagsHelp}

Prints the page's URL on stderr once it listens, and each alert as it fires or resolves. With
--json, the last snapshot ({"at", "flows", "alerts"}) on stdout when it stops. Exit 0 when stopped,
2 usage, 3 Kafka error or a port that cannot be listened on.`;

const flagSpecs = {
  ...connectionFlags,
  group: { type: 'string' },
  topic: { type: 'string' },
  flow: { type: 'string' },
  port: { type: 'number' },
  host: { type: 'string' },
  'sample-interval-ms': { type: 'number' },
  'lag-above': { type: 'number' },
  'lag-seconds-above': { type: 'number' },
  'stalled-for-ms': { type: 'number' },
  'silent-for-ms': { type: 'number' },
  'for-ms': { type: 'number' },
} as const;

function nonNegative(flag: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isFinite(value) || value < 0))
    throw new UsageError(`--${flag} must be a number of at least 0, got ${value}`);
  return value;
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
  const topics = flags.topic.split(',').map((topic) => topic.trim());
  if (topics.some((topic) => topic.length === 0)) throw new UsageError('--topic has an empty name');
  const port = nonNegative('port', flags.port) ?? 9464;
  if (!Number.isInteger(port) || port > 65_535)
    throw new UsageError(`--port must be 0 to 65535, got ${port}`);
  const sampleIntervalMs = nonNegative('sample-interval-ms', flags['sample-interval-ms']) ?? 5_000;
  if (sampleIntervalMs < 100) throw new UsageError('--sample-interval-ms must be at least 100');
  const flow = flags.flow ?? flags.group;
  const rules: AlertRule[] = [];
  const lagAbove = nonNegative('lag-above', flags['lag-above']);
  if (lagAbove !== undefined) rules.push({ kind: 'lag', name: 'lag', maxEvents: lagAbove });
  const lagSecondsAbove = nonNegative('lag-seconds-above', flags['lag-seconds-above']);
  if (lagSecondsAbove !== undefined)
    rules.push({ kind: 'lag', name: 'lag-seconds', maxSeconds: lagSecondsAbove });
  const stalledForMs = nonNegative('stalled-for-ms', flags['stalled-for-ms']);
  if (stalledForMs !== undefined) rules.push({ kind: 'stall', name: 'stall', stalledForMs });
  const silentForMs = nonNegative('silent-for-ms', flags['silent-for-ms']);
  if (silentForMs !== undefined) rules.push({ kind: 'silence', name: 'silence', silentForMs });
  const forMs = nonNegative('for-ms', flags['for-ms']);

  const config = await resolveConfig(flags, io);
  // Loaded here, not at start-up: the other commands need no metrics client.
  const { createMonitor, createStatusServer } = await import('@inlet/monitor');
  await using transport = openTransport(config);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  const monitor = createMonitor({
    transport,
    flows: [{ name: flow, groupId: flags.group, topics }],
    rules,
    hooks: [
      (change) => io.stderr(`alert ${change.state}: ${change.rule} on ${change.flow}: ${change.message}\n`),
    ],
    sampleIntervalMs,
    onError: (error) => io.stderr(`monitor: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  try {
    await monitor.sample();
    const server = await createStatusServer({
      snapshot: () => monitor.snapshot(),
      metricsText: () => monitor.metricsText(),
      port,
      ...(flags.host === undefined ? {} : { host: flags.host }),
    });
    try {
      io.stderr(`inlet monitor: ${server.url} (status page), ${server.url}metrics\n`);
      await new Promise<void>((resolve) => {
        if (stop.signal.aborted) resolve();
        stop.signal.addEventListener('abort', () => resolve(), { once: true });
        if (forMs !== undefined) setTimeout(() => stop.abort(), forMs).unref();
      });
    } finally {
      await server.close();
    }
    if (flags.json) printJson(io, monitor.snapshot());
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    await monitor.close();
  }
  return ExitCode.ok;
}

export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'serve the status page and /metrics for a consumer group',
  usage,
  run,
};
