import {
  decodeEventRecord,
  type IncomingRecord,
  InletError,
  InletErrorCode,
  type InletEvent,
  type PayloadCodec,
  type TopicDefinition,
} from '@inlet/core';
import { createSchemaResolver, openSchemaRegistry, type RegistrySchemaResolver } from '@inlet/schema';
import { connectionFlags, connectionFlagsHelp, resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import { type Command, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { openTransport } from '../kafka-connection';
import { loadTopicDefinition } from '../load-definitions';
import { parseArgs } from '../parse-args';
import { type ReadStart, readRecords } from '../read-records';
import { type RecordView, recordView } from '../record-view';
import { type RegistryFraming, registryFraming } from '../registry-framing';
import { UsageError } from '../usage-error';

const usage = `usage: inlet tail <topic> [--from beginning|end|<iso time>] [--limit N] [options]

Prints a topic's records as they arrive, decoded as Inlet events when --definitions is given.
A value framed for a schema registry (Confluent wire format: magic byte 0, 4-byte schema id) is
decoded with the writer's schema fetched from the registry when one is configured, and shown
as registry-framed with its schema id otherwise. A record that does not decode (an unknown
schema id too) is printed with its error and its raw bytes; tail goes on.
Reads with a throwaway consumer group: no real group moves.

  --from <where>             beginning, end (default) or an ISO-8601 time (by record timestamp)
  --limit <n>                stop after n records
  --idle-timeout <ms>        stop when nothing arrives for this long (default: follow until Ctrl-C)
  --definitions <module>     a module exporting the topic's definition (defineTopic); repeatable
  --registry <url>           the schema registry for framed values, or file:<path> for an embedded
                             one (env SCHEMA_REGISTRY_URL, config "registryUrl"; credentials from
                             env SCHEMA_REGISTRY_USERNAME and _PASSWORD, or SCHEMA_REGISTRY_TOKEN)
${connectionFlagsHelp}

--json prints one JSON object per record (one per line): {"topic", "partition", "offset",
"timestamp", "key", "value", "valueEncoding": "utf8"|"base64", "headers", "event": {"id", "type",
"version", "source", "eventTime", "data"} | null, "schemaId": number | null (of a registry-framed
value), "data": the framed value decoded when not read as an event | null, "error": {"code",
"message"} | null}. Exit 0 on success (also when some records did not decode), 2 usage, 3 Kafka
or registry unreachable.`;

const flagSpecs = {
  ...connectionFlags,
  from: { type: 'string' },
  limit: { type: 'number' },
  'idle-timeout': { type: 'number' },
  definitions: { type: 'strings' },
  registry: { type: 'string' },
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
  /** The writer's registry schema id, when the value is registry-framed. */
  readonly schemaId: number | null;
  /** A registry-framed value decoded with its writer's schema, when it is not read as an event. */
  readonly data: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** How a registry-framed value's writer schema was looked up. */
type WriterLookup =
  | { readonly kind: 'none' }
  | { readonly kind: 'found'; readonly codec: PayloadCodec<unknown> }
  | { readonly kind: 'unknown'; readonly error: InletError };

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

function errorView(error: unknown, fallback: string): NonNullable<TailLine['error']> {
  return {
    code: InletError.is(error) ? error.code : fallback,
    message: error instanceof Error ? error.message : String(error),
  };
}

interface Decoding {
  readonly definition: TopicDefinition | undefined;
  readonly resolver: RegistrySchemaResolver | undefined;
}

function tailLine(
  record: IncomingRecord,
  decoding: Decoding,
  framing: RegistryFraming | undefined,
  writer: WriterLookup,
): TailLine {
  const view = recordView(record);
  const base = {
    topic: record.topic,
    ...view,
    // Framed bytes start with a NUL and often pass for UTF-8: text would be garbage.
    ...(framing === undefined || record.value === null
      ? {}
      : { value: record.value.toString('base64'), valueEncoding: 'base64' as const }),
    schemaId: framing?.schemaId ?? null,
    data: null,
  };
  if (framing !== undefined && writer.kind === 'unknown')
    return { ...base, event: null, error: errorView(writer.error, InletErrorCode.unknownSchemaId) };
  const decodeFramed = () =>
    framing === undefined || writer.kind !== 'found' ? undefined : writer.codec.decode(framing.payload);
  const { definition, resolver } = decoding;
  if (definition !== undefined) {
    try {
      const options =
        resolver === undefined
          ? {}
          : { writerCodecForSchemaId: (id: number) => resolver.cachedWriterCodecFor(id) };
      return { ...base, event: eventView(decodeEventRecord(record, definition, options)), error: null };
    } catch (error) {
      // A framed value that is no Inlet event (another producer's) is still shown decoded.
      const decoded = decodeFramed();
      const data = decoded?.ok ? decoded.value : null;
      return { ...base, event: null, data, error: errorView(error, 'INLET_CLI_DECODE_FAILED') };
    }
  }
  const decoded = decodeFramed();
  if (framing === undefined || decoded === undefined) return { ...base, event: null, error: null };
  if (decoded.ok) return { ...base, event: null, data: decoded.value, error: null };
  const code = decoded.reason === 'truncated' ? InletErrorCode.truncated : InletErrorCode.malformedPayload;
  return {
    ...base,
    event: null,
    error: { code, message: `schema id ${framing.schemaId}: ${decoded.message}` },
  };
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
    if (line.data !== null)
      io.stdout(`    decoded (schema id ${line.schemaId}): ${JSON.stringify(line.data)}\n`);
  } else if (line.schemaId !== null && line.data !== null)
    io.stdout(`${where} schema=${line.schemaId} ${JSON.stringify(line.data)}\n`);
  else if (line.schemaId !== null)
    io.stdout(
      `${where} registry-framed, schema id ${line.schemaId} (give --registry or set SCHEMA_REGISTRY_URL to decode): ${line.value}\n`,
    );
  else io.stdout(`${where} ${line.value ?? 'null'}\n`);
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
  const config = await resolveConfig(flags, io, flags.registry);
  const definition =
    flags.definitions === undefined ? undefined : await loadTopicDefinition(flags.definitions, topic, io.cwd);
  // An empty SCHEMA_REGISTRY_URL (or --registry '') means no registry, as if unset.
  const registryUrl = config.registryUrl === '' ? undefined : config.registryUrl;
  await using registry =
    registryUrl === undefined ? undefined : openSchemaRegistry(registryUrl, { env: io.env, cwd: io.cwd });
  const resolver = registry === undefined ? undefined : createSchemaResolver({ registry });
  await using transport = openTransport(config);
  let printed = 0;
  let failure: unknown;
  // The resolver caches the schemas it found, not the ids it did not: ask about each id once.
  const unknownIds = new Map<number, InletError>();
  await readRecords({
    transport,
    topic,
    start,
    stopAtEnd: false,
    ...(idle === undefined ? {} : { idleTimeoutMs: idle }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onRecord: async (record) => {
      const framing = registryFraming(record);
      let writer: WriterLookup = { kind: 'none' };
      const knownUnknown = framing === undefined ? undefined : unknownIds.get(framing.schemaId);
      if (knownUnknown !== undefined) writer = { kind: 'unknown', error: knownUnknown };
      else if (framing !== undefined && resolver !== undefined) {
        try {
          writer = { kind: 'found', codec: await resolver.writerCodecFor(framing.schemaId) };
        } catch (error) {
          if (!InletError.hasCode(error, InletErrorCode.unknownSchemaId)) {
            // The registry being down is not the record's problem: stop, and exit 3.
            failure = error;
            return false;
          }
          unknownIds.set(framing.schemaId, error);
          writer = { kind: 'unknown', error };
        }
      }
      const line = tailLine(record, { definition, resolver }, framing, writer);
      if (flags.json) printJson(io, line);
      else printHuman(line, io);
      printed += 1;
      return limit === undefined || printed < limit;
    },
  });
  if (failure !== undefined) throw failure;
  return ExitCode.ok;
}

export const tailCommand: Command = { name: 'tail', summary: "print a topic's records, decoded", usage, run };
