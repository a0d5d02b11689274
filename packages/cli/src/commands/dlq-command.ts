import { DeadLetterHeader, redriveDeadLetters } from '@inlet/consumer';
import type { IncomingRecord } from '@inlet/core';
import { connectionFlags, connectionFlagsHelp, resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import { type Command, formatTable, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { openTransport } from '../kafka-connection';
import { closest, parseArgs } from '../parse-args';
import { createProgress } from '../progress';
import { readRecords } from '../read-records';
import { type RecordView, recordView } from '../record-view';
import { UsageError } from '../usage-error';

const usage = `usage: inlet dlq list <dlq-topic> [options]
       inlet dlq show <dlq-topic> <partition:offset> [options]
       inlet dlq redrive <dlq-topic> [--execute] [--error-code C] [--source-topic T] [--to T]

Inspects and redrives a dead-letter topic written by @inlet/consumer.
  list      one line per dead letter (source, error, attempts), read up to the current end
  show      one dead letter in full: its error headers, original headers, key and value
  redrive   republishes dead letters to the topic each came from (or --to); a dry run unless
            --execute. Redacted and truncated letters are refused (their values are not the
            originals). Consumers deduplicate by event id, so redriving twice does no harm.

  --error-code <code>        redrive only letters with this error code
  --source-topic <topic>     redrive only letters from this topic
  --to <topic>               redrive to this topic instead of each letter's source
  --execute                  really republish (redrive; default: dry run)
${connectionFlagsHelp}

--json shapes: list {"topic", "letters": [DeadLetterSummary], "total"}; show DeadLetterSummary
plus "key", "value", "valueEncoding", "headers" (original ones); redrive {"topic", "dryRun",
"seen", "redriven", "skipped", "refusedRedacted", "refusedTruncated"}. DeadLetterSummary:
{"partition", "offset", "timestamp", "sourceTopic", "sourcePartition": number|null,
"sourceOffset": string|null, "consumerGroup", "errorCode", "errorMessage", "attempts":
number|null, "failedAt": string|null, "redacted": boolean, "truncated": boolean}.
Exit 0 on success, 1 when show finds no such letter, 2 usage, 3 Kafka error.`;

const flagSpecs = {
  ...connectionFlags,
  'error-code': { type: 'string' },
  'source-topic': { type: 'string' },
  to: { type: 'string' },
  execute: { type: 'boolean' },
} as const;

const subcommands = ['list', 'show', 'redrive'];

/** The dead-letter facts of one letter. */
export interface DeadLetterSummary {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number | null;
  readonly sourceOffset: string | null;
  readonly consumerGroup: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attempts: number | null;
  readonly failedAt: string | null;
  readonly redacted: boolean;
  readonly truncated: boolean;
}

function header(record: IncomingRecord, name: string): string | undefined {
  return record.headers[name]?.toString('utf8');
}

function numberOrNull(text: string | undefined): number | null {
  return text === undefined || text === '' || Number.isNaN(Number(text)) ? null : Number(text);
}

export function summarize(record: IncomingRecord): DeadLetterSummary {
  return {
    partition: record.partition,
    offset: record.offset,
    timestamp: new Date(record.timestamp).toISOString(),
    sourceTopic: header(record, DeadLetterHeader.sourceTopic) ?? '',
    sourcePartition: numberOrNull(header(record, DeadLetterHeader.sourcePartition)),
    sourceOffset: header(record, DeadLetterHeader.sourceOffset) ?? null,
    consumerGroup: header(record, DeadLetterHeader.consumerGroup) ?? '',
    errorCode: header(record, DeadLetterHeader.errorCode) ?? '',
    errorMessage: header(record, DeadLetterHeader.errorMessage) ?? '',
    attempts: numberOrNull(header(record, DeadLetterHeader.attempts)),
    failedAt: header(record, DeadLetterHeader.failedAt) ?? null,
    redacted: header(record, DeadLetterHeader.redacted) === 'true',
    truncated: record.headers[DeadLetterHeader.valueTruncated] !== undefined,
  };
}

const dlqHeaderNames = new Set<string>(Object.values(DeadLetterHeader));

function originalView(record: IncomingRecord): RecordView {
  const view = recordView(record);
  const headers = Object.fromEntries(
    Object.entries(view.headers).filter(([name]) => !dlqHeaderNames.has(name)),
  );
  return { ...view, headers };
}

export function parsePosition(text: string): { partition: number; offset: string } {
  const match = /^(\d+):(\d+)$/.exec(text);
  if (match === null) throw new UsageError(`expected <partition:offset>, e.g. 0:42, got "${text}"`);
  return { partition: Number(match[1]), offset: match[2] as string };
}

async function list(topic: string, flags: ParsedDlqFlags, io: CliIo): Promise<number> {
  const config = await resolveConfig(flags, io);
  await using transport = openTransport(config);
  const letters: DeadLetterSummary[] = [];
  const progress = createProgress('dead letters read', io, flags.progress);
  await readRecords({
    transport,
    topic,
    start: 'earliest',
    stopAtEnd: true,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onRecord: (record) => {
      letters.push(summarize(record));
      return true;
    },
    onProgress: (read, total) => progress.update(read, total),
  });
  progress.finish();
  letters.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  if (flags.json) printJson(io, { topic, letters, total: letters.length });
  else {
    io.stdout(
      formatTable(
        ['POSITION', 'FAILED AT', 'SOURCE', 'ERROR', 'ATTEMPTS', 'MESSAGE'],
        letters.map((l) => [
          `${l.partition}:${l.offset}`,
          l.failedAt ?? '-',
          `${l.sourceTopic}[${l.sourcePartition ?? '?'}]@${l.sourceOffset ?? '?'}`,
          l.errorCode,
          String(l.attempts ?? '-'),
          l.errorMessage.length > 60 ? `${l.errorMessage.slice(0, 57)}...` : l.errorMessage,
        ]),
      ),
    );
    io.stdout(`${letters.length} dead letters\n`);
  }
  return ExitCode.ok;
}

async function show(topic: string, positionText: string, flags: ParsedDlqFlags, io: CliIo): Promise<number> {
  const position = parsePosition(positionText);
  const config = await resolveConfig(flags, io);
  await using transport = openTransport(config);
  let found: IncomingRecord | undefined;
  await readRecords({
    transport,
    topic,
    start: position,
    stopAtEnd: true,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onRecord: (record) => {
      if (record.partition !== position.partition) return true;
      if (record.offset === position.offset) found = record;
      return false;
    },
  });
  if (found === undefined) {
    io.stderr(`inlet dlq show: no record at ${positionText} in ${topic}\n`);
    return ExitCode.failure;
  }
  const letter = { ...summarize(found), ...originalView(found) };
  if (flags.json) printJson(io, letter);
  else {
    for (const [name, value] of Object.entries(letter)) {
      const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
      io.stdout(`${name.padEnd(16)} ${text}\n`);
    }
  }
  return ExitCode.ok;
}

async function redrive(topic: string, flags: ParsedDlqFlags, io: CliIo): Promise<number> {
  const config = await resolveConfig(flags, io);
  await using transport = openTransport(config);
  const progress = createProgress('dead letters considered', io, flags.progress);
  const errorCode = flags['error-code'];
  const sourceTopic = flags['source-topic'];
  const to = flags.to;
  const dryRun = flags.execute !== true;
  const result = await redriveDeadLetters({
    transport,
    deadLetterTopic: topic,
    dryRun,
    filter: (letter) =>
      (errorCode === undefined || letter.errorCode === errorCode) &&
      (sourceTopic === undefined || letter.sourceTopic === sourceTopic),
    ...(to === undefined ? {} : { to: () => to }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onProgress: ({ seen, total }) => progress.update(seen, total),
  });
  progress.finish();
  if (flags.json) printJson(io, { topic, dryRun, ...result });
  else
    io.stdout(
      `${dryRun ? 'dry run: would redrive' : 'redrove'} ${result.redriven} of ${result.seen} dead letters` +
        ` (${result.skipped} not selected, ${result.refusedRedacted} redacted and ${result.refusedTruncated} truncated refused)` +
        `${dryRun ? '; add --execute to send' : ''}\n`,
    );
  return ExitCode.ok;
}

type ParsedDlqFlags = ReturnType<typeof parseArgs<typeof flagSpecs>>['flags'];

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(args, flagSpecs);
  if (flags.help) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  const [subcommand, topic, ...rest] = positionals;
  if (subcommand === undefined) throw new UsageError('give a subcommand: list, show or redrive');
  if (!subcommands.includes(subcommand)) {
    const suggestion = closest(subcommand, subcommands);
    throw new UsageError(
      `unknown subcommand "${subcommand}"${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
    );
  }
  if (topic === undefined) throw new UsageError('give the dead-letter topic');
  if (subcommand !== 'redrive') {
    for (const name of ['error-code', 'source-topic', 'to', 'execute'] as const)
      if (flags[name] !== undefined) throw new UsageError(`--${name} applies to dlq redrive only`);
  }
  if (subcommand === 'show') {
    const [position, extra] = rest;
    if (position === undefined) throw new UsageError('give the letter position <partition:offset>');
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    return show(topic, position, flags, io);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return subcommand === 'list' ? list(topic, flags, io) : redrive(topic, flags, io);
}

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'list, show and redrive dead letters',
  usage,
  run,
};
