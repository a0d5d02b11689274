import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../codecs/json/json-schema-codec';
import {
  InletDecodeError,
  InletErrorCode,
  InletValidationError,
  type RawRecord,
  type RecordHeader,
} from '../errors';
import { defineEvent } from '../events/define-event';
import { defineTopic } from '../events/define-topic';
import { isUuidV7 } from '../events/uuid-v7';
import { deliveredHeaders, headerViews } from '../transport/record-headers';
import { createEvent } from './create-event';
import { decodeEventRecord, encodeEventRecord, schemaIdOf } from './event-record';
import { frameConfluent } from './wire-format';

const now = Date.UTC(2026, 10, 25, 12, 0, 0);

const OrderPlaced = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string', minLength: 1 },
      total: { type: 'number', minimum: 0 },
      placedAt: { type: 'string' },
      revision: { type: 'integer' },
    },
    required: ['orderId', 'total', 'placedAt', 'revision'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.placedAt,
  entityVersion: (order) => order.revision,
});

const OrderPlacedV2 = defineEvent({
  type: 'order.placed',
  version: 2,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string', minLength: 1 },
      total: { type: 'number', minimum: 0 },
      placedAt: { type: 'string' },
      revision: { type: 'integer' },
      channel: { type: 'string' },
    },
    required: ['orderId', 'total', 'placedAt', 'revision'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.placedAt,
});

const orders = defineTopic({ name: 'orders', events: [OrderPlaced, OrderPlacedV2] });

const order = { orderId: 'o-1', total: 12.5, placedAt: '2026-11-25T11:59:00Z', revision: 3 };

function asIncoming(record: ReturnType<typeof encodeEventRecord>, offset = '0'): RawRecord {
  return {
    topic: record.topic,
    partition: 0,
    offset,
    key: record.key,
    value: record.value,
    ...deliveredHeaders(record.headers),
    timestamp: record.timestamp ?? now,
  };
}

function withHeaderList(record: RawRecord, headerList: readonly RecordHeader[]): RawRecord {
  return { ...record, ...headerViews(headerList) };
}

function decodeFailure(record: RawRecord, options = {}): InletDecodeError {
  try {
    decodeEventRecord(record, orders, options);
  } catch (error) {
    if (error instanceof InletDecodeError) return error;
    throw error;
  }
  throw new Error('expected a decode error');
}

describe('createEvent', () => {
  it('stamps a valid envelope', () => {
    const event = createEvent(OrderPlaced, order, {
      source: 'urn:inlet:test',
      now,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      headers: { tenant: 'acme' },
    });
    expect(isUuidV7(event.id)).toBe(true);
    expect(event).toMatchObject({
      type: 'order.placed',
      version: 1,
      key: 'o-1',
      source: 'urn:inlet:test',
      entityVersion: 3,
      headers: { tenant: 'acme' },
      data: order,
    });
    expect(event.eventTime.toISOString()).toBe('2026-11-25T11:59:00.000Z');
    expect(event.producedAt.getTime()).toBe(now);
  });

  it('refuses invalid data, keys, times, trace context and reserved headers with typed errors', () => {
    const attempt =
      (data: unknown, extra = {}) =>
      () =>
        createEvent(OrderPlaced, data, { source: 'urn:inlet:test', now, ...extra });
    expect(attempt({ ...order, total: -1 })).toThrow(
      expect.objectContaining({ code: InletErrorCode.validationFailed }),
    );
    expect(attempt({ ...order, orderId: '' })).toThrow(
      expect.objectContaining({ code: InletErrorCode.validationFailed }),
    );
    expect(attempt({ ...order, placedAt: '2026-13-01T00:00:00Z' })).toThrow(
      expect.objectContaining({ code: InletErrorCode.invalidEventTime }),
    );
    expect(
      attempt(order, { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }),
    ).toThrow(InletValidationError);
    expect(attempt(order, { headers: { ce_id: 'spoofed' } })).toThrow(/reserved/);
  });
});

describe('encodeEventRecord / decodeEventRecord', () => {
  const event = createEvent(OrderPlaced, order, {
    source: 'urn:inlet:test',
    now,
    headers: { tenant: 'acme' },
  });

  it('writes CloudEvents binary-mode headers, the key, and event time as the record timestamp', () => {
    const record = encodeEventRecord('orders', event, OrderPlaced);
    expect(record.key?.toString()).toBe('o-1');
    expect(record.timestamp).toBe(Date.parse('2026-11-25T11:59:00Z'));
    expect(record.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_source: 'urn:inlet:test',
      ce_type: 'order.placed',
      ce_time: '2026-11-25T11:59:00.000Z',
      ce_recordedtime: new Date(now).toISOString(),
      ce_schemaversion: '1',
      ce_partitionkey: 'o-1',
      ce_entityversion: '3',
      'content-type': 'application/json',
      tenant: 'acme',
    });
    expect(JSON.parse(String(record.value))).toEqual(order);
    const byProduceTime = encodeEventRecord('orders', event, OrderPlaced, { recordTimestamp: 'producedAt' });
    expect(byProduceTime.timestamp).toBe(now);
  });

  it('round-trips the whole envelope', () => {
    const decoded = decodeEventRecord(asIncoming(encodeEventRecord('orders', event, OrderPlaced)), orders);
    expect(decoded).toEqual(event);
  });

  it('frames the value in the Confluent wire format when a schema id is given', () => {
    const record = encodeEventRecord('orders', event, OrderPlaced, { schemaId: 42 });
    expect(record.value?.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 42]));
    expect(record.headers?.['content-type']).toBe('application/json; wire=confluent');
    const incoming = asIncoming(record);
    expect(schemaIdOf(incoming)).toBe(42);
    const decoded = decodeEventRecord(incoming, orders, {
      writerCodecForSchemaId: (id) => (id === 42 ? OrderPlaced.codec : undefined),
    });
    expect(decoded.data).toEqual(order);
    expect(decodeFailure(incoming, { writerCodecForSchemaId: () => undefined }).code).toBe(
      InletErrorCode.unknownSchemaId,
    );
  });

  // Content types, header roles and attribute names are parsed once per distinct value: records
  // that alternate between them, or spell them another way, are each read as they say.
  it('reads each record by its own content type and header names when records alternate between them', () => {
    const plain = asIncoming(encodeEventRecord('orders', event, OrderPlaced));
    const framed = asIncoming(encodeEventRecord('orders', event, OrderPlaced, { schemaId: 7 }));
    const options = { writerCodecForSchemaId: (id: number) => (id === 7 ? OrderPlaced.codec : undefined) };
    const renamed = withHeaderList(
      plain,
      plain.headerList.map((header) =>
        header.name === 'content-type' ? { name: 'Content-Type', value: header.value } : header,
      ),
    );
    const shouting = withHeaderList(
      plain,
      plain.headerList.map((header) =>
        header.name === 'ce_id' ? { name: 'CE_ID', value: header.value } : header,
      ),
    );
    for (let round = 0; round < 3; round++) {
      expect(schemaIdOf(plain)).toBeUndefined();
      expect(schemaIdOf(framed)).toBe(7);
      expect(decodeEventRecord(plain, orders, options)).toEqual(event);
      // Framed, it also names its schema (dataSchema).
      expect(decodeEventRecord(framed, orders, options)).toEqual({
        ...event,
        dataSchema: expect.any(String),
      });
      expect(decodeEventRecord(renamed, orders, options)).toEqual(event);
      // An attribute header must be lower case, each time it comes.
      expect(decodeFailure(shouting, options).message).toContain(
        'header CE_ID is not a CloudEvents attribute header',
      );
    }
  });

  it('reads an event of a newer schema version with the latest known JSON definition', () => {
    const v3 = encodeEventRecord('orders', { ...event, version: 3 }, OrderPlaced);
    const decoded = decodeEventRecord(asIncoming(v3), orders);
    expect(decoded.version).toBe(3);
    expect(decoded.data).toEqual(order);
  });

  it('reads CloudEvents written by others in binary mode', () => {
    const foreign: RawRecord = {
      topic: 'orders',
      partition: 1,
      offset: '7',
      key: Buffer.from('o-9'),
      value: Buffer.from(JSON.stringify({ ...order, orderId: 'o-9' })),
      ...deliveredHeaders({
        ce_specversion: '1.0',
        ce_id: 'A234-1234-1234',
        ce_source: '/mycontext/subcontext',
        ce_type: 'order.placed',
        ce_time: '2026-11-25T11:59:00+00:00',
        'content-type': 'application/json; charset=utf-8',
        ce_partitionkey: 'o-9',
      }),
      timestamp: now,
    };
    const decoded = decodeEventRecord(foreign, orders);
    expect(decoded).toMatchObject({ id: 'A234-1234-1234', type: 'order.placed', version: 2, key: 'o-9' });
    expect(decoded.producedAt.getTime()).toBe(now);
  });

  describe('refuses bad records with typed errors that keep the record', () => {
    const good = asIncoming(encodeEventRecord('orders', event, OrderPlaced), '12');
    const withHeader = (name: string, value: Buffer | undefined): RawRecord =>
      withHeaderList(good, [
        ...good.headerList.filter((header) => header.name !== name),
        ...(value === undefined ? [] : [{ name, value }]),
      ]);

    it.each([
      ['a missing ce_id', withHeader('ce_id', undefined), InletErrorCode.missingHeader],
      ['a missing ce_time', withHeader('ce_time', undefined), InletErrorCode.missingHeader],
      [
        'an unknown type',
        withHeader('ce_type', Buffer.from('order.refunded')),
        InletErrorCode.unknownEventType,
      ],
      ['a bad time', withHeader('ce_time', Buffer.from('last tuesday')), InletErrorCode.malformedPayload],
      [
        'a bad content type',
        withHeader('content-type', Buffer.from('text/csv')),
        InletErrorCode.unsupportedContentType,
      ],
      [
        'bad UTF-8 in a header',
        withHeader('ce_source', Buffer.from([0xc3, 0x28])),
        InletErrorCode.malformedPayload,
      ],
      ['bad JSON', { ...good, value: Buffer.from('{"orderId": "o-1",') }, InletErrorCode.malformedPayload],
      [
        'bad UTF-8 in the value',
        { ...good, value: Buffer.from([0x7b, 0xff, 0x7d]) },
        InletErrorCode.malformedPayload,
      ],
      ['no value', { ...good, value: null }, InletErrorCode.truncated],
      ['no key', { ...good, key: null }, InletErrorCode.invalidKey],
      [
        'data failing the schema',
        { ...good, value: Buffer.from(JSON.stringify({ ...order, total: -5 })) },
        InletErrorCode.validationFailed,
      ],
      [
        'a wrong magic byte',
        {
          ...withHeader('content-type', Buffer.from('application/json; wire=confluent')),
          value: Buffer.from([1, 0, 0, 0, 1, 0x7b]),
        },
        InletErrorCode.badMagicByte,
      ],
      [
        'a truncated frame',
        {
          ...withHeader('content-type', Buffer.from('application/json; wire=confluent')),
          value: Buffer.from([0, 0]),
        },
        InletErrorCode.truncated,
      ],
    ])('%s', (_, record, code) => {
      const error = decodeFailure(record);
      expect(error.code).toBe(code);
      expect(error.record).toBe(record);
      expect(error.message).toContain('orders/0@12');
    });

    it('names the failing paths of invalid data', () => {
      const error = decodeFailure({ ...good, value: Buffer.from(JSON.stringify({ ...order, total: -5 })) });
      expect(error.issues.map((issue) => issue.path)).toEqual(['/total']);
    });
  });

  it('only ever throws decode errors for arbitrary bytes and headers', () => {
    const bytes = fc.uint8Array({ maxLength: 64 }).map((array) => Buffer.from(array));
    const headerNames = fc.constantFrom(
      'ce_specversion',
      'ce_id',
      'ce_type',
      'ce_source',
      'ce_time',
      'content-type',
      'ce_schemaversion',
      'x',
    );
    const good = asIncoming(encodeEventRecord('orders', event, OrderPlaced));
    fc.assert(
      fc.property(
        fc.option(bytes, { nil: null }),
        fc.option(bytes, { nil: null }),
        fc.dictionary(headerNames, bytes),
        fc.boolean(),
        (key, value, headers, keepGoodHeaders) => {
          const extra = Object.entries(headers).map(([name, value]) => ({ name, value }));
          const record: RawRecord = {
            ...withHeaderList(good, keepGoodHeaders ? [...good.headerList, ...extra] : extra),
            key,
            value,
          };
          try {
            decodeEventRecord(record, orders, { writerCodecForSchemaId: () => OrderPlaced.codec });
            return true;
          } catch (error) {
            return error instanceof InletDecodeError && error.record === record;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('frames and unframes schema ids across the whole unsigned range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (id) => {
        const incoming = asIncoming({
          ...encodeEventRecord('orders', event, OrderPlaced),
          value: frameConfluent(id, Buffer.from('{}')),
          headers: { 'content-type': 'application/json; wire=confluent' },
        });
        return schemaIdOf(incoming) === id;
      }),
    );
  });
});
