import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InletDecodeError, type RecordHeader } from '../errors';
import { envelopeAttributeNames, isReservedHeaderName, registryDataSchema } from './cloudevents';
import { createEvent } from './create-event';
import { GateOpened, gates, LaneCounted, now, rawRecord, received } from './envelope-fixtures.test-support';
import { decodeEventRecord, encodeEventRecord, schemaIdOf } from './event-record';
import type { OutgoingEventHeaders } from './inlet-event';

// 0xff never occurs in UTF-8, so these bytes are read back as bytes, not as text.
const binaryValue = fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from([0xff, ...bytes]));
const textValue = fc.string({ unit: 'binary', maxLength: 12 });
const headerValue = fc.oneof(textValue, binaryValue);

const headerName = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'x-flag'))
  .filter((name) => !isReservedHeaderName(name));

const applicationHeaders = fc
  .uniqueArray(
    fc.tuple(headerName, fc.oneof(headerValue, fc.array(headerValue, { minLength: 2, maxLength: 3 }))),
    { selector: ([name]) => name, maxLength: 5 },
  )
  .map((entries) => {
    const headers: Record<string, unknown> = {};
    for (const [name, value] of entries) {
      Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return headers as OutgoingEventHeaders;
  });

const extensions = fc.dictionary(
  fc.stringMatching(/^[a-z0-9]{1,10}$/).filter((name) => !envelopeAttributeNames.has(name)),
  textValue,
  { maxKeys: 4, noNullPrototype: true },
);

const gateData = fc.record({
  gateId: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
  openedAt: fc.constant('2026-11-25T11:59:00.250Z'),
  revision: fc.nat(),
});

const eventOptions = fc.record(
  {
    subject: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
    dataSchema: fc.webUrl(),
    extensions,
    headers: applicationHeaders,
    traceparent: fc.constant('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
    tracestate: textValue,
  },
  { requiredKeys: [] },
);

describe('the envelope round-trips', () => {
  it('every event Inlet can create, in binary mode, framed or not', () => {
    fc.assert(
      fc.property(
        gateData,
        eventOptions,
        fc.option(fc.integer({ min: 0, max: 0xffffffff })),
        (data, options, id) => {
          const event = createEvent(GateOpened, data, { source: 'urn:inlet:test', now, ...options });
          const record = encodeEventRecord('gates', event, GateOpened, id === null ? {} : { schemaId: id });
          const decoded = decodeEventRecord(received(record), gates, {
            writerCodecForSchemaId: () => GateOpened.codec,
          });
          expect(decoded).toEqual(id === null ? event : { ...event, dataSchema: registryDataSchema(id) });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('structured mode', () => {
  it('round-trips every event binary mode does, framed or not, JSON data embedded and Avro as base64', () => {
    const laneData = fc.record({
      laneId: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
      count: fc.integer({ min: -1000, max: 1000 }),
      countedAt: fc.constant('2026-11-25T11:59:00.250Z'),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          gateData.map((data) => createEvent(GateOpened, data, { source: 'urn:inlet:test', now })),
          laneData.map((data) => createEvent(LaneCounted, data, { source: 'urn:inlet:test', now })),
        ),
        eventOptions,
        fc.option(fc.integer({ min: 0, max: 0xffffffff })),
        (created, options, id) => {
          const definition = created.type === GateOpened.type ? GateOpened : LaneCounted;
          const event = createEvent(definition as typeof GateOpened, created.data as never, {
            source: 'urn:inlet:test',
            now,
            ...options,
          });
          const record = encodeEventRecord('gates', event, definition as typeof GateOpened, {
            contentMode: 'structured',
            ...(id === null ? {} : { schemaId: id }),
          });
          expect(record.headers?.['content-type']).toBe('application/cloudevents+json; charset=UTF-8');
          expect(Object.keys(record.headers ?? {}).filter((name) => name.startsWith('ce_'))).toEqual([]);
          const envelope = JSON.parse(String(record.value)) as Record<string, unknown>;
          expect('data' in envelope).toBe(definition === GateOpened && id === null);
          const decoded = decodeEventRecord(received(record), gates, {
            writerCodecForSchemaId: () => definition.codec,
          });
          expect(decoded).toEqual(id === null ? event : { ...event, dataSchema: registryDataSchema(id) });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the decoder', () => {
  const bytes = fc.uint8Array({ maxLength: 48 }).map((array) => Buffer.from(array));
  const names = fc.constantFrom(
    'ce_specversion',
    'ce_id',
    'ce_type',
    'ce_source',
    'ce_time',
    'ce_subject',
    'ce_partitionkey',
    'ce_entityversion',
    'ce_Mixed',
    'content-type',
    'Content-Type',
    'x',
    '__proto__',
  );
  const values = fc.oneof(
    bytes,
    fc.constant(null),
    fc
      .constantFrom(
        '1.0',
        'gate.opened',
        'o-gate',
        '2026-11-25T11:59:00Z',
        '5',
        'application/json',
        'application/json; wire=confluent',
        'application/cloudevents+json',
        'application/cloudevents+avro',
      )
      .map((text) => Buffer.from(text)),
  );
  const headers = fc.array(fc.record({ name: names, value: values }), { maxLength: 10 });
  const structuredValue = fc
    .record(
      {
        specversion: fc.constantFrom('1.0', 1, null),
        id: fc.oneof(fc.string(), fc.integer()),
        source: fc.string(),
        type: fc.constantFrom('gate.opened', 'lane.counted', 'other'),
        time: fc.constantFrom('2026-11-25T11:59:00Z', 'later', 5),
        datacontenttype: fc.constantFrom('application/json', 'application/avro; wire=confluent', 'text/xml'),
        data: fc.jsonValue(),
        data_base64: fc.base64String(),
        partitionkey: fc.constantFrom('o-gate', 'other'),
        ext: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((envelope) => Buffer.from(JSON.stringify(envelope)));

  it('only ever returns an event or throws a decode error keeping the record', () => {
    fc.assert(
      fc.property(
        fc.option(bytes, { nil: null }),
        fc.oneof(fc.option(bytes, { nil: null }), structuredValue),
        headers,
        (key, value, headerList: RecordHeader[]) => {
          const record = rawRecord({ key, value, headers: headerList });
          expect(() => schemaIdOf(record)).not.toThrow();
          try {
            decodeEventRecord(record, gates, { writerCodecForSchemaId: () => GateOpened.codec });
            return true;
          } catch (error) {
            return error instanceof InletDecodeError && error.record === record;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
