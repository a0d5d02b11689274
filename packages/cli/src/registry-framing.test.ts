import {
  createEvent,
  encodeEventRecord,
  frameConfluent,
  type IncomingRecord,
  type OutgoingRecord,
} from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { ReadingTaken } from './e2e-avro.fixture';
import { registryFraming } from './registry-framing';

function incoming(record: OutgoingRecord): IncomingRecord {
  const headerList = Object.entries(record.headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((each) => ({ name, value: Buffer.from(String(each)) })),
  );
  return {
    topic: record.topic,
    partition: 0,
    offset: '0',
    key: record.key,
    value: record.value,
    headers: Object.fromEntries(headerList.map(({ name, value }) => [name, value])),
    headerList,
    timestamp: 0,
  };
}

const reading = { sensorId: 's1', celsius: 20, at: '2026-01-01T00:00:00.000Z' };
const event = () => createEvent(ReadingTaken, reading, { source: 'urn:test' });
const body = ReadingTaken.codec.encode(reading);

describe('registryFraming', () => {
  it('finds the schema id and payload of Inlet records, binary and structured mode', () => {
    for (const contentMode of ['binary', 'structured'] as const) {
      const record = incoming(encodeEventRecord('t', event(), ReadingTaken, { schemaId: 42, contentMode }));
      const framing = registryFraming(record);
      expect(framing?.schemaId, contentMode).toBe(42);
      expect(framing?.payload.equals(body), contentMode).toBe(true);
    }
  });

  it("takes other producers' values without a content type as framed when they start with magic byte 0", () => {
    const raw = { topic: 't', key: null, value: frameConfluent(7, body) };
    expect(registryFraming(incoming(raw))?.schemaId).toBe(7);
    expect(registryFraming(incoming({ ...raw, value: Buffer.from([0, 0, 1]) }))).toBeUndefined();
    expect(registryFraming(incoming({ ...raw, value: Buffer.from('{"a":1}') }))).toBeUndefined();
    expect(registryFraming(incoming({ ...raw, value: null }))).toBeUndefined();
  });

  it('leaves unframed Inlet records alone, even when their bytes start with 0', () => {
    const record = incoming(encodeEventRecord('t', event(), ReadingTaken));
    expect(registryFraming({ ...record, value: frameConfluent(7, body) })).toBeUndefined();
  });
});
