import {
  decodeEventRecord,
  type IncomingRecord,
  InletError,
  type InletEvent,
  type TopicDefinition,
} from '@inlet/core';
import { connectionFlags, connectionFlagsHelp, resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import { type Command, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { openTransport } from '../kafka-connection';
import { loadTopicDefinition } from '../load-definitions';
import { parseArgs } from '../parse-args';
import { type ReadStart, readRecords } from '../read-records';
import { type RecordView, recordView } from '../record-view';
import { UsageError } from '../usage-error';

const usage = `usage: inlet tail <topic> [--from beginning|end|<iso time>] [--limit N] [options]

Prints a topic's records as they arrive, decoded as Inlet events when --definitions is given.
A record that does not decode is printed with its error and its raw bytes; tail goes on.
Reads with a throwaway consumer group: no real group moves.

  --from <where>             beginning, end (default) or an ISO-8601 time (by record timestamp)
  --limit <n>                stop after n records
  --idle-timeout <ms>        stop when nothing arrives for this long (default: follow until Ctrl-C)
  --definitions <module>     a module exporting the topic's definition (defineTopic); repeatable
${connectionFlagsHelp}

--json prints one JSON object per record (one per line): {"topic", "partition", "offset",
"timestamp", "key", "value", "valueEncoding": "utf8"|"base64", "headers", "event": {"id", "type",
"version", "source", "eventTime", "data"} | null, "error": {"code", "message"} | null}.
Exit 0 on success (also when some records did not decode), 2 usage, 3 Kafka error.`;

const flagSpecs = {
  ...connectionFlags,
  from: { type: 'string' },
  limit: { type: 'number' },
  'idle-timeout': { type: 'number' },
  definitions: { type: 'strings' },
} as const;

/** What tail prints for one record. */
export interface TailLine extends RecordView {
  readonly topic: string;
  readonly event: {
    readonly id: string;
    readonly type: string;
    readonly version: number;
    readonly source: string;
    readonly eventTime: string;
    readonly data: unknown;
  } | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export function parseFrom(text: string | undefined): ReadStart {
  if (text === undefined || text === 'end') return 'latest';
  if (text === 'beginning') return 'earliest';
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at))
    throw new UsageError(`--from expects beginning, end or an ISO-8601 time, got "${text}"`);
  return { timestamp: at };
}

function eventView(event: InletEvent): NonNullable<TailLine['event']> {
  return {
    id: event.id,
    type: event.type,
    version: event.version,
    source: event.source,
    eventTime: event.eventTime.toISOString(),
    data: event.data,
  };
}

function tailLine(record: IncomingRecord, definition: TopicDefinition | undefined): TailLine {
  const base = { topic: record.topic, ...recordView(record) };
  if (definition === undefined) return { ...base, event: null, error: null };
  try {
    return { ...base, event: eventView(decodeEventRecord(record, definition)), error: null };
  } catch (error) {
    const code = InletError.is(error) ? error.code : 'INLET_CLI_DECODE_FAILED';
    return {
      ...base,
      event: null,
      error: { code, message: error instanceof Error ? error.message : String(error) },
    };
  }
}

function printHuman(line: TailLine, io: CliIo): void {
  const where = `${line.partition}:${line.offset} ${line.timestamp} key=${line.key ?? '-'}`;
  if (line.event !== null)
    io.stdout(`${where} ${line.event.type} v${line.event.version} ${JSON.stringify(line.event.data)}\n`);
  else if (line.error !== null) {
    io.stdout(`${where} UNDECODABLE ${line.error.code}: ${line.error.message}\n`);
    io.stdout(
      `    raw (${line.valueEncoding}): ${line.value ?? 'null'} headers=${JSON.stringify(line.headers)}\n`,
    );
  } else io.stdout(`${where} ${line.value ?? 'null'}\n`);
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(args, flagSpecs);
  if (flags.help) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  const [topic, extra] = positionals;
  if (topic === undefined) throw new UsageError('give the topic to tail');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const start = parseFrom(flags.from);
  const limit = flags.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new UsageError('--limit expects a positive integer');
  const idle = flags['idle-timeout'];
  if (idle !== undefined && idle <= 0) throw new UsageError('--idle-timeout expects a positive number');
  const config = await resolveConfig(flags, io);
  const definition =
    flags.definitions === undefined ? undefined : await loadTopicDefinition(flags.definitions, topic, io.cwd);
  await using transport = openTransport(config);
  let printed = 0;
  await readRecords({
    transport,
    topic,
    start,
    stopAtEnd: false,
    ...(idle === undefined ? {} : { idleTimeoutMs: idle }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onRecord: (record) => {
      const line = tailLine(record, definition);
      if (flags.json) printJson(io, line);
      else printHuman(line, io);
      printed += 1;
      return limit === undefined || printed < limit;
    },
  });
  return ExitCode.ok;
}

export const tailCommand: Command = { name: 'tail', summary: "print a topic's records, decoded", usage, run };
