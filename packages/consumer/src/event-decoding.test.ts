import {
  createEvent,
  deliveredHeaders,
  encodeEventRecord,
  headerViews,
  type IncomingRecord,
  InletDecodeError,
  InletError,
  InletErrorCode,
  type InletEvent,
  type OutgoingRecord,
  type PayloadCodec,
  type RecordHeader,
  type SchemaResolver,
  type TopicDefinition,
} from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { type EventDecoder, EventDecoding, type EventDecodingOptions } from './event-decoding';
import { OrderNoted, OrderUpdated, ordersTopic } from './fixtures/orders.fixture';

let counter = 0;
const groupId = 'decoding-group';
const updatedAt = new Date('2026-01-02T03:04:05.000Z');
const order = (orderId: string, revision: number) => ({ orderId, revision, total: 12.5, updatedAt });

function decodingOf(topics: readonly TopicDefinition[], options: Partial<EventDecodingOptions> = {}) {
  return new EventDecoding({
    groupId,
    topics: new Map(topics.map((topic) => [topic.name, topic])),
    registry: undefined,
    decoder: undefined,
    dedupKey: (event) => `dedup:${event.id}`,
    versionGate: false,
    ...options,
  });
}

/** A record as a consumer would receive what was sent as `sent`. */
function received(sent: OutgoingRecord, offset = 0, partition = 0): IncomingRecord {
  return {
    topic: sent.topic,
    partition,
    offset: String(offset),
    key: sent.key,
    value: sent.value,
    ...deliveredHeaders(sent.headers),
    timestamp: sent.timestamp ?? Date.now(),
  };
}

/** A record from another producer: raw key, value and headers. */
function foreignRecord(
  topic: string,
  fields: { key?: string | Buffer | null; value?: Buffer | null; headers?: RecordHeader[]; offset?: number },
): IncomingRecord {
  const key = fields.key === undefined || fields.key === null ? null : Buffer.from(fields.key);
  return {
    topic,
    partition: 0,
    offset: String(fields.offset ?? 0),
    key,
    value: fields.value === undefined ? Buffer.from('{}') : fields.value,
    ...headerViews(fields.headers ?? []),
    timestamp: 1_700_000_000_000,
  };
}

function orderRecord(topic: string, orderId: string, revision: number, offset = 0): IncomingRecord {
  const event = createEvent(OrderUpdated, order(orderId, revision), { source: 'test' });
  return received(encodeEventRecord(topic, event, OrderUpdated), offset);
}

function noteRecord(topic: string, orderId: string, offset = 0): IncomingRecord {
  const note = { orderId, note: 'hello', at: updatedAt.toISOString() };
  const event = createEvent(OrderNoted, note, { source: 'test' });
  return received(encodeEventRecord(topic, event, OrderNoted), offset);
}

const garbage = (topic: string, key: string | Buffer | null, offset = 0) =>
  foreignRecord(topic, { key, value: Buffer.from([0xff, 0x00, 0x13]), offset });

describe('EventDecoding: CloudEvents', () => {
  it('makes a work item carrying the event, its definition and where it came from', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const record = orderRecord(topic.name, 'o-1', 4, 17);
    const item = decodingOf([topic]).workItem(record, 3, 'partition-key', '99');
    expect(item.decodeError).toBeUndefined();
    expect(item.event?.type).toBe('order.updated');
    expect(item.event?.key).toBe('o-1');
    expect((item.event as InletEvent | undefined)?.data).toEqual(order('o-1', 4));
    expect(item.definition).toBe(OrderUpdated);
    expect(item).toMatchObject({
      epoch: 3,
      partitionKey: 'partition-key',
      record,
      offset: 17,
      highWatermark: '99',
      entityVersion: 4,
      bytes: (record.key?.length ?? 0) + (record.value?.length ?? 0),
      settled: false,
      commit: { epoch: 3, partitionKey: 'partition-key', offset: 17, holds: 0, awaitingRelease: false },
    });
  });

  it('takes the dedup key from the dedup option', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const item = decodingOf([topic]).workItem(orderRecord(topic.name, 'o-1', 1), 1, 'p', '1');
    expect(item.dedupKey).toBe(`dedup:${item.event?.id}`);
  });

  it('makes a version key only when the gate is on and the event has an entity version', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const gated = decodingOf([topic], { versionGate: true });
    const versioned = gated.workItem(orderRecord(topic.name, 'o-1', 2), 1, 'p', '1');
    expect(versioned.versionKey).toBe(`${groupId}\u0000${topic.name}\u0000o-1`);
    // order.noted defines no entity version.
    const unversioned = gated.workItem(noteRecord(topic.name, 'o-1'), 1, 'p', '1');
    expect(unversioned.entityVersion).toBeUndefined();
    expect(unversioned.versionKey).toBeUndefined();
    const ungated = decodingOf([topic]).workItem(orderRecord(topic.name, 'o-1', 2), 1, 'p', '1');
    expect(ungated.entityVersion).toBe(2);
    expect(ungated.versionKey).toBeUndefined();
  });

  it('carries a record that does not decode as a decode error, without throwing', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const record = garbage(topic.name, 'o-1', 5);
    const item = decodingOf([topic], { versionGate: true }).workItem(record, 2, 'p', '9');
    expect(InletError.is(item.decodeError)).toBe(true);
    expect(item.decodeError?.code).toMatch(/^INLET_DECODE_/);
    expect(item.event).toBeUndefined();
    expect(item.definition).toBeUndefined();
    expect(item.dedupKey).toBe('');
    expect(item.versionKey).toBeUndefined();
    expect(item.entityVersion).toBeUndefined();
    expect(item).toMatchObject({ record, offset: 5, epoch: 2 });
  });

  it('carries an event of a type the topic does not define as INLET_DECODE_UNKNOWN_TYPE', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const other = ordersTopic(`decoding-${++counter}`);
    const record = orderRecord(other.name, 'o-1', 1);
    const renamed = {
      ...record,
      topic: topic.name,
      ...headerViews(
        record.headerList.map((header) =>
          header.name === 'ce_type' ? { name: 'ce_type', value: Buffer.from('order.cancelled') } : header,
        ),
      ),
    };
    const item = decodingOf([topic]).workItem(renamed, 1, 'p', '1');
    expect(item.decodeError?.code).toBe(InletErrorCode.unknownEventType);
  });
});

describe('EventDecoding: lanes', () => {
  it('puts events of one key in one lane and events of other keys in others', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const decoding = decodingOf([topic]);
    const lane = (record: IncomingRecord) => decoding.workItem(record, 1, 'p', '1').laneKey;
    expect(lane(orderRecord(topic.name, 'o-1', 1, 0))).toBe(lane(noteRecord(topic.name, 'o-1', 1)));
    expect(lane(orderRecord(topic.name, 'o-1', 1, 0))).not.toBe(lane(orderRecord(topic.name, 'o-2', 1, 1)));
  });

  it('puts a record that does not decode in the lane of the events with the same key bytes', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const decoding = decodingOf([topic]);
    for (const key of ['o-1', 'ordre-été']) {
      const decoded = decoding.workItem(orderRecord(topic.name, key, 1, 0), 1, 'p', '1');
      const undecodable = decoding.workItem(garbage(topic.name, key, 1), 1, 'p', '1');
      expect(decoded.decodeError).toBeUndefined();
      expect(undecodable.decodeError).toBeDefined();
      expect(undecodable.laneKey).toBe(decoded.laneKey);
    }
  });

  it('gives byte keys lanes by their bytes, and keyless undecodable records a lane each', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const decoding = decodingOf([topic]);
    const lane = (record: IncomingRecord) => decoding.workItem(record, 1, 'p', '1').laneKey;
    const bytesA = Buffer.from([0xc3, 0x28, 0x01]); // not UTF-8
    const bytesB = Buffer.from([0xc3, 0x28, 0x02]);
    expect(lane(garbage(topic.name, bytesA, 0))).toBe(lane(garbage(topic.name, Buffer.from(bytesA), 1)));
    expect(lane(garbage(topic.name, bytesA, 0))).not.toBe(lane(garbage(topic.name, bytesB, 1)));
    expect(lane(garbage(topic.name, null, 0))).not.toBe(lane(garbage(topic.name, null, 1)));
  });

  it('tells the topics apart in the lane only when it consumes several', () => {
    const first = ordersTopic(`decoding-${++counter}`);
    const second = ordersTopic(`decoding-${++counter}`);
    const both = decodingOf([first, second]);
    const inFirst = both.workItem(orderRecord(first.name, 'o-1', 1), 1, 'p', '1').laneKey;
    const inSecond = both.workItem(orderRecord(second.name, 'o-1', 1), 1, 'p', '1').laneKey;
    expect(inFirst).not.toBe(inSecond);
    expect(inFirst).toContain(first.name);
    expect(both.workItem(garbage(first.name, 'o-1', 2), 1, 'p', '1').laneKey).toBe(inFirst);
    const single = decodingOf([first]).workItem(orderRecord(first.name, 'o-1', 1), 1, 'p', '1').laneKey;
    expect(single).not.toContain(first.name);
  });
});

describe('EventDecoding: a decoder of the user', () => {
  const plainJson: EventDecoder = (record) => ({
    type: 'order.updated',
    data: { ...JSON.parse(record.value?.toString() ?? 'null'), updatedAt },
  });
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('completes what the decoder returns from the record and the definition', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const record = {
      ...foreignRecord(topic.name, {
        key: 'o-record',
        value: json({ orderId: 'o-data', revision: 7, total: 3 }),
        headers: [
          { name: 'trace', value: Buffer.from('a') },
          { name: 'trace', value: Buffer.from('b') },
          { name: 'flag', value: null },
          { name: 'raw', value: Buffer.from([0xff, 0xfe]) },
        ],
      }),
      partition: 3,
      offset: '42',
    };
    const item = decodingOf([topic], { decoder: plainJson, versionGate: true }).workItem(record, 1, 'p', '1');
    expect(item.decodeError).toBeUndefined();
    const event = item.event as InletEvent;
    expect(event).toMatchObject({
      id: `${topic.name}/3@42`,
      type: 'order.updated',
      version: 1,
      key: 'o-record',
      eventTime: updatedAt,
      entityVersion: 7,
      source: `kafka:${topic.name}`,
      producedAt: new Date(record.timestamp),
      data: { orderId: 'o-data', revision: 7, total: 3, updatedAt },
    });
    expect(event.headers).toEqual({ trace: ['a', 'b'], flag: null, raw: Buffer.from([0xff, 0xfe]) });
    expect(item.definition).toBe(OrderUpdated);
    expect(item.versionKey).toBe(`${groupId}\u0000${topic.name}\u0000o-record`);
    expect(item.dedupKey).toBe(`dedup:${topic.name}/3@42`);
  });

  it('takes the key from the data when the record has none', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const record = foreignRecord(topic.name, {
      key: null,
      value: json({ orderId: 'o-data', revision: 1, total: 1 }),
    });
    const item = decodingOf([topic], { decoder: plainJson }).workItem(record, 1, 'p', '1');
    expect(item.event?.key).toBe('o-data');
  });

  it('keeps what the decoder gives instead of the defaults', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const eventTime = new Date('2025-05-05T00:00:00.000Z');
    const decoder: EventDecoder = () => ({
      type: 'order.updated',
      data: order('o-data', 1),
      id: 'given-id',
      key: 'given-key',
      eventTime,
      entityVersion: 99,
      source: 'given-source',
      subject: 'given-subject',
      headers: { given: 'yes' },
    });
    const record = foreignRecord(topic.name, {
      key: 'o-record',
      headers: [{ name: 'h', value: Buffer.from('x') }],
    });
    const event = decodingOf([topic], { decoder }).workItem(record, 1, 'p', '1').event;
    expect(event).toMatchObject({
      id: 'given-id',
      key: 'given-key',
      eventTime,
      entityVersion: 99,
      source: 'given-source',
      subject: 'given-subject',
      headers: { given: 'yes' },
    });
  });

  it('hands the decoder the topic definition', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const seen: unknown[] = [];
    const decoder: EventDecoder = (_record, context) => {
      seen.push(context.topic, context.writerCodecForSchemaId);
      return { type: 'order.updated', data: order('o-1', 1) };
    };
    decodingOf([topic], { decoder }).workItem(foreignRecord(topic.name, { key: 'o-1' }), 1, 'p', '1');
    expect(seen).toEqual([topic, undefined]);
  });

  it('refuses a type the topic does not define, naming it and the known ones', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const decoder: EventDecoder = () => ({ type: 'order.cancelled', data: {} });
    const item = decodingOf([topic], { decoder }).workItem(
      foreignRecord(topic.name, { key: 'o-1' }),
      1,
      'p',
      '1',
    );
    expect(item.event).toBeUndefined();
    expect(item.decodeError?.code).toBe(InletErrorCode.unknownEventType);
    expect(item.decodeError?.message).toContain('"order.cancelled"');
    expect(item.decodeError?.message).toContain('order.updated');
    expect(item.dedupKey).toBe('');
  });

  it('refuses data that fails the schema, with the issues', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const decoder: EventDecoder = () => ({
      type: 'order.updated',
      data: { orderId: 'o-1', revision: 'two' },
    });
    const item = decodingOf([topic], { decoder }).workItem(
      foreignRecord(topic.name, { key: 'o-1' }),
      1,
      'p',
      '1',
    );
    expect(item.decodeError?.code).toBe(InletErrorCode.validationFailed);
    expect(item.decodeError).toBeInstanceOf(InletDecodeError);
    expect((item.decodeError as InletDecodeError).issues.length).toBeGreaterThan(0);
    expect(item.decodeError?.message).toContain('fails its schema');
  });

  it('refuses an answer without a type', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    for (const answer of [null, {}, { type: 7, data: {} }]) {
      const decoder = (() => answer) as unknown as EventDecoder;
      const item = decodingOf([topic], { decoder }).workItem(
        foreignRecord(topic.name, { key: 'o-1' }),
        1,
        'p',
        '1',
      );
      expect(item.decodeError?.code).toBe(InletErrorCode.malformedPayload);
      expect(item.decodeError?.message).toContain('no event type');
    }
  });

  it('refuses an invalid event time', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const decoder: EventDecoder = () => ({
      type: 'order.updated',
      data: order('o-1', 1),
      eventTime: new Date('not a date'),
    });
    const item = decodingOf([topic], { decoder }).workItem(
      foreignRecord(topic.name, { key: 'o-1' }),
      1,
      'p',
      '1',
    );
    expect(item.decodeError?.code).toBe(InletErrorCode.invalidEventTime);
  });

  it('turns a decoder that throws into a decode error with its message, or its own code', () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const record = foreignRecord(topic.name, { key: 'o-1' });
    const throwing: EventDecoder = () => {
      throw new SyntaxError('Unexpected token } in JSON');
    };
    const plain = decodingOf([topic], { decoder: throwing }).workItem(record, 1, 'p', '1');
    expect(plain.event).toBeUndefined();
    expect(plain.decodeError?.code).toBe(InletErrorCode.malformedPayload);
    expect(plain.decodeError?.message).toContain('Unexpected token');
    const naming: EventDecoder = (received) => {
      throw new InletDecodeError(InletErrorCode.missingHeader, 'no op header', received);
    };
    const named = decodingOf([topic], { decoder: naming }).workItem(record, 1, 'p', '1');
    expect(named.decodeError?.code).toBe(InletErrorCode.missingHeader);
  });
});

describe('EventDecoding: registry schemas', () => {
  const knownId = 7;
  const unknownId = 8;

  function fakeRegistry(writerCodecFor: (id: number) => Promise<PayloadCodec<unknown>>) {
    const cache = new Map<number, PayloadCodec<unknown>>();
    const asked: number[] = [];
    const registry: SchemaResolver = {
      schemaIdFor: async () => knownId,
      cachedSchemaIdFor: () => knownId,
      async writerCodecFor(id) {
        asked.push(id);
        const codec = await writerCodecFor(id);
        cache.set(id, codec);
        return codec;
      },
      cachedWriterCodecFor: (id) => cache.get(id),
    };
    return { registry, asked };
  }

  const framedRecord = (topic: string, schemaId: number, offset: number) => {
    const event = createEvent(OrderUpdated, order('o-1', 1), { source: 'test' });
    return received(encodeEventRecord(topic, event, OrderUpdated, { schemaId }), offset);
  };

  it('fetches each uncached writer schema once, and decodes with it', async () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const { registry, asked } = fakeRegistry(async (id) => {
      if (id === knownId) return OrderUpdated.codec as PayloadCodec<unknown>;
      throw new InletError(InletErrorCode.unknownSchemaId, `no schema ${id}`);
    });
    const decoding = decodingOf([topic], { registry });
    const records = [
      framedRecord(topic.name, knownId, 0),
      framedRecord(topic.name, knownId, 1),
      framedRecord(topic.name, unknownId, 2),
      orderRecord(topic.name, 'o-2', 1, 3),
    ];
    // The unknown id is the record's problem, not the batch's.
    await expect(decoding.resolveWriterSchemas(records)).resolves.toBeUndefined();
    expect(asked).toEqual([knownId, unknownId]);
    await decoding.resolveWriterSchemas(records.slice(0, 2));
    expect(asked).toEqual([knownId, unknownId]);
    const items = records.map((record) => decoding.workItem(record, 1, 'p', '1'));
    expect((items[0]?.event as InletEvent | undefined)?.data).toEqual(order('o-1', 1));
    expect(items[1]?.decodeError).toBeUndefined();
    expect(items[2]?.decodeError?.code).toBe(InletErrorCode.unknownSchemaId);
    expect(items[3]?.decodeError).toBeUndefined();
  });

  it('rejects with the error when the registry is down, so the batch is delivered again', async () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const outage = new InletError(InletErrorCode.registryUnavailable, 'registry down', { retryable: true });
    const { registry } = fakeRegistry(async () => {
      throw outage;
    });
    const decoding = decodingOf([topic], { registry });
    await expect(decoding.resolveWriterSchemas([framedRecord(topic.name, knownId, 0)])).rejects.toBe(outage);
  });

  it('needs nothing without a registry, and reports a framed record as such', async () => {
    const topic = ordersTopic(`decoding-${++counter}`);
    const decoding = decodingOf([topic]);
    const record = framedRecord(topic.name, knownId, 0);
    await expect(decoding.resolveWriterSchemas([record])).resolves.toBeUndefined();
    const item = decoding.workItem(record, 1, 'p', '1');
    expect(item.decodeError?.code).toBe(InletErrorCode.unknownSchemaId);
    expect(item.decodeError?.message).toContain('no schema registry');
  });
});
