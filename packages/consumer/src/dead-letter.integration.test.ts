import {
  createEvent,
  defineEvent,
  defineTopic,
  encodeEventRecord,
  type IncomingRecord,
  InletErrorCode,
  jsonSchema,
  type KafkaTransport,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { kcatProduce, testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, UnrecoverableEventError } from './consumer';
import type { ConsumerOptions } from './consumer-options';
import { DeadLetterHeader } from './dead-letter';

// Dead letters on a real broker: a record near the size limit, records from kcat with headers
// that have no value, and error texts that name secrets. Each letter is written, and the source
// partition commits past it.

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'dead-letter-integration' });
});
afterAll(async () => {
  await transport.close();
});

const NoteAdded = defineEvent({
  type: 'note.added',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      noteId: { type: 'string', minLength: 1 },
      text: { type: 'string' },
      at: { type: 'string' },
    },
    required: ['noteId', 'text', 'at'],
    additionalProperties: false,
  }),
  key: (note) => note.noteId,
  eventTime: (note) => note.at,
});

async function notesTopic() {
  const notes = defineTopic({ name: uniqueName('dlq-notes'), events: [NoteAdded] });
  await transport.admin().createTopics([{ topic: notes.name, partitions: 1 }]);
  return notes;
}
type Notes = Awaited<ReturnType<typeof notesTopic>>;

async function until(
  probe: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function committed(groupId: string, topic: string): Promise<string | undefined> {
  return (await transport.admin().groupOffsets(groupId, topic))[0]?.offset;
}

/** Every record of a topic from the start, once `count` are there. */
async function readAll(topic: string, count: number): Promise<IncomingRecord[]> {
  const records: IncomingRecord[] = [];
  const reader = transport.consumer({ groupId: uniqueName('dlq-reader') });
  try {
    await reader.subscribe([topic]);
    await reader.run({ onBatch: async (batch) => void records.push(...batch.records) });
    await until(() => records.length >= count, `${count} records on ${topic}`);
  } finally {
    await reader.close();
  }
  return records;
}

function consumerOf(notes: Notes, extra: Partial<ConsumerOptions<[Notes]>>) {
  const groupId = uniqueName('dlq-group');
  const consumer = createConsumer({
    transport,
    groupId,
    topics: [notes],
    commitIntervalMs: 100,
    handle: async () => undefined,
    ...extra,
  } as ConsumerOptions<[Notes]>);
  return { consumer, groupId };
}

function note(noteId: string, text: string) {
  return { noteId, text, at: new Date().toISOString() };
}

describe('dead letters on a real broker', () => {
  it('writes a letter for a record near the size limit, cut to fit, and commits past it', async () => {
    const notes = await notesTopic();
    // A record of 1 048 200 bytes (key, value and headers), which the broker accepts; with the
    // dead-letter headers it would not fit.
    const probe = encodeEventRecord(
      notes.name,
      createEvent(NoteAdded, note('big', ''), { source: 'urn:test' }),
      NoteAdded,
    );
    const headerBytes = Object.entries(probe.headers ?? {}).reduce(
      (sum, [name, value]) => sum + name.length + Buffer.byteLength(String(value)),
      0,
    );
    const textLength = 1_048_200 - headerBytes - (probe.key?.length ?? 0) - (probe.value?.length ?? 0);
    const producer = createProducer({ transport, maxRecordBytes: 1_048_576 });
    const big = await producer.send(notes, { type: 'note.added', data: note('big', 'x'.repeat(textLength)) });
    await producer.send(notes, { type: 'note.added', data: note('after', 'small') });
    await producer.close();

    const handled: string[] = [];
    const { consumer, groupId } = consumerOf(notes, {
      handle: async (event) => {
        if (event.data.noteId === 'big') throw new UnrecoverableEventError('too big to handle');
        handled.push(event.data.noteId);
      },
    });
    await consumer.start();
    try {
      await until(async () => (await committed(groupId, notes.name)) === '2', 'both records committed');
      expect(handled).toEqual(['after']);
      expect(consumer.stats()).toMatchObject({ deadLettered: 1, handled: 1 });
    } finally {
      await consumer.close();
    }
    const [letter] = await readAll(`${notes.name}.dlq`, 1);
    const originalValueBytes = Number(letter?.headers[DeadLetterHeader.valueTruncated]?.toString());
    expect(originalValueBytes).toBeGreaterThan(1_040_000);
    expect(letter?.value?.length).toBeLessThan(originalValueBytes);
    expect(letter?.headers.ce_id?.toString()).toBe(big.id);
    expect(letter?.headers[DeadLetterHeader.errorMessage]?.toString()).toBe('too big to handle');
  }, 90_000);

  it('reads a kcat record whose header has no value, and dead-letters a broken one with its headers', async () => {
    const notes = await notesTopic();
    const envelope = (id: string): [string, string | null][] => [
      ['ce_specversion', '1.0'],
      ['ce_id', id],
      ['ce_source', 'urn:kcat'],
      ['ce_type', 'note.added'],
      ['ce_time', new Date().toISOString()],
      ['content-type', 'application/json'],
      ['x-flag', null],
    ];
    await kcatProduce(kafkaBrokers, {
      topic: notes.name,
      key: 'n-1',
      value: JSON.stringify(note('n-1', 'fine')),
      headers: envelope('kcat-1'),
    });
    await kcatProduce(kafkaBrokers, {
      topic: notes.name,
      key: 'n-2',
      value: '{"noteId": "n-2", "text": 42}',
      headers: envelope('kcat-2'),
    });
    await kcatProduce(kafkaBrokers, {
      topic: notes.name,
      key: 'n-3',
      value: JSON.stringify(note('n-3', 'fine too')),
      headers: envelope('kcat-3'),
    });
    const flags: unknown[] = [];
    const { consumer, groupId } = consumerOf(notes, {
      handle: async (event) => {
        flags.push(event.headers['x-flag']);
      },
    });
    await consumer.start();
    try {
      await until(async () => (await committed(groupId, notes.name)) === '3', 'all three committed');
      expect(consumer.stats()).toMatchObject({ handled: 2, deadLettered: 1 });
      expect(flags).toEqual([null, null]);
    } finally {
      await consumer.close();
    }
    const [letter] = await readAll(`${notes.name}.dlq`, 1);
    expect(letter?.headers[DeadLetterHeader.errorCode]?.toString()).toBe(InletErrorCode.validationFailed);
    expect(letter?.headers['x-flag']?.length).toBe(0);
    expect(JSON.parse(letter?.headers[DeadLetterHeader.nullHeaders]?.toString() ?? '[]')).toEqual(['x-flag']);
    expect(letter?.headers.ce_id?.toString()).toBe('kcat-2');
  }, 90_000);

  it('masks credentials in error texts, and writes none or the user’s own when asked', async () => {
    const secretText =
      'connect postgres://app:s3cr3t-pw@db:5432/orders failed; password=hunter2 token: abc.def';
    for (const [errorMessage, expected] of [
      [undefined, 'connect postgres://app:***@db:5432/orders failed; password=*** token: ***'],
      [false, undefined],
      [
        (error: { code: string }) => `failed with ${error.code}`,
        `failed with ${InletErrorCode.handlerFailed}`,
      ],
    ] as const) {
      const notes = await notesTopic();
      const producer = createProducer({ transport });
      await producer.send(notes, { type: 'note.added', data: note('n-1', 'x') });
      await producer.close();
      const { consumer } = consumerOf(notes, {
        deadLetter: errorMessage === undefined ? {} : { errorMessage },
        handle: async () => {
          throw new UnrecoverableEventError(secretText);
        },
      });
      await consumer.start();
      try {
        await until(() => consumer.stats().deadLettered === 1, 'the letter');
      } finally {
        await consumer.close();
      }
      const [letter] = await readAll(`${notes.name}.dlq`, 1);
      expect(letter?.headers[DeadLetterHeader.errorMessage]?.toString()).toBe(expected);
      expect(letter?.headers[DeadLetterHeader.errorCode]?.toString()).toBe(InletErrorCode.handlerFailed);
      for (const { value } of letter?.headerList ?? [])
        expect(value?.toString() ?? '').not.toMatch(/s3cr3t|hunter2/);
    }
  }, 120_000);
});
