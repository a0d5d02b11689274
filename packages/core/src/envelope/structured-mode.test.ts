import { describe, expect, it } from 'vitest';
import { InletErrorCode } from '../errors';
import { createEvent } from './create-event';
import {
  decodeFailure,
  foreignBinaryHeaders,
  GateOpened,
  gate,
  gates,
  LaneCounted,
  now,
  rawRecord,
  received,
  textHeaders,
} from './envelope-fixtures.test-support';
import { decodeEventRecord, encodeEventRecord, schemaIdOf } from './event-record';
import { frameConfluent } from './wire-format';

const structuredContentType = 'application/cloudevents+json; charset=UTF-8';

const envelope = {
  specversion: '1.0',
  id: 'C234-1234-1234',
  source: '/gates/north',
  type: 'gate.opened',
  time: '2026-11-25T11:59:00Z',
  subject: 'gate/north/1',
  datacontenttype: 'application/json',
  dataschema: 'https://schemas.example/gate-opened.json',
  comexampleextension1: 'value',
  comexampleothervalue: 5,
  comexampleflag: true,
  data: gate,
};

function structured(
  body: unknown,
  extraHeaders: [string, string | Buffer | null][] = [],
  contentType = structuredContentType,
) {
  return rawRecord({
    value: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    headers: textHeaders([['content-type', contentType], ...extraHeaders]),
  });
}

describe('structured content mode', () => {
  it('reads a structured CloudEvent into the same event as binary mode', () => {
    const event = decodeEventRecord(structured(envelope), gates);
    expect(event).toMatchObject({
      id: 'C234-1234-1234',
      source: '/gates/north',
      type: 'gate.opened',
      version: 1,
      key: 'o-gate',
      subject: 'gate/north/1',
      dataSchema: 'https://schemas.example/gate-opened.json',
      extensions: { comexampleextension1: 'value', comexampleothervalue: '5', comexampleflag: 'true' },
      entityVersion: 5,
      headers: {},
      data: gate,
    });
    expect(event.eventTime.getTime()).toBe(Date.UTC(2026, 10, 25, 11, 59));
    expect(event.producedAt.getTime()).toBe(now);
  });

  it('takes the event from the value, not from ce_ headers a structured record also carries', () => {
    const record = structured(envelope, [
      ['ce_id', 'header-id'],
      ['ce_id', 'repeated-header-id'],
      ['ce_type', 'something.else'],
      ['ce_source', Buffer.from([0xff])],
      ['tenant', 'acme'],
    ]);
    const event = decodeEventRecord(record, gates);
    expect(event.id).toBe('C234-1234-1234');
    expect(event.data).toEqual(gate);
    expect(event.headers).toEqual({ tenant: 'acme' });
  });

  it('maps the Inlet extensions from attributes, as strings or as JSON numbers', () => {
    const event = decodeEventRecord(
      structured({
        ...envelope,
        schemaversion: 1,
        entityversion: '6',
        recordedtime: '2026-11-25T12:00:01.5Z',
        partitionkey: 'o-gate',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tracestate: 'vendor=1',
        data: { ...gate, revision: 6 },
      }),
      gates,
    );
    expect(event).toMatchObject({
      version: 1,
      entityVersion: 6,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'vendor=1',
      extensions: { comexampleextension1: 'value', comexampleothervalue: '5', comexampleflag: 'true' },
    });
    expect(event.producedAt.getTime()).toBe(Date.UTC(2026, 10, 25, 12, 0, 1, 500));
  });

  it('reads JSON data with no datacontenttype, and treats null attributes as unset', () => {
    const { datacontenttype: _, ...rest } = envelope;
    const event = decodeEventRecord(structured({ ...rest, subject: null, dataschema: null }), gates);
    expect(event.data).toEqual(gate);
    expect(event).not.toHaveProperty('subject');
    expect(event).not.toHaveProperty('dataSchema');
  });

  it('reads data_base64, framed for a registry too', () => {
    const { data: _, ...attributes } = envelope;
    const plain = structured({
      ...attributes,
      data_base64: Buffer.from(JSON.stringify(gate)).toString('base64'),
    });
    expect(decodeEventRecord(plain, gates).data).toEqual(gate);

    const lane = { laneId: 'o-lane', count: 3, countedAt: '2026-11-25T11:58:00Z' };
    const framed = structured({
      ...attributes,
      type: 'lane.counted',
      datacontenttype: 'application/avro; wire=confluent',
      data_base64: frameConfluent(12, LaneCounted.codec.encode(lane)).toString('base64'),
    });
    expect(schemaIdOf(framed)).toBe(12);
    const event = decodeEventRecord(framed, gates, {
      writerCodecForSchemaId: (id) => (id === 12 ? LaneCounted.codec : undefined),
    });
    expect(event.data).toEqual(lane);
    expect(decodeFailure(framed).message).toContain('no schema registry is configured');
  });

  it('agrees with binary mode on an event Inlet wrote', () => {
    const event = createEvent(GateOpened, gate, {
      source: 'urn:inlet:test',
      now,
      subject: 's',
      extensions: { region: 'eu' },
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    const binary = decodeEventRecord(received(encodeEventRecord('gates', event, GateOpened)), gates);
    const asStructured = decodeEventRecord(
      structured({
        specversion: '1.0',
        id: event.id,
        source: event.source,
        type: event.type,
        time: event.eventTime.toISOString(),
        subject: 's',
        region: 'eu',
        recordedtime: event.producedAt.toISOString(),
        schemaversion: '1',
        entityversion: '5',
        partitionkey: 'o-gate',
        traceparent: event.traceparent,
        datacontenttype: 'application/json',
        data: gate,
      }),
      gates,
    );
    expect(asStructured).toEqual(binary);
  });

  it('keeps binary mode for application/json, with or without charset', () => {
    const headers = foreignBinaryHeaders().map((header) =>
      header.name === 'content-type'
        ? { ...header, value: Buffer.from('application/json; charset=utf-8') }
        : header,
    );
    expect(decodeEventRecord(rawRecord({ headers }), gates).data).toEqual(gate);
  });

  it.each([
    ['a value that is not JSON', '{"specversion":', InletErrorCode.malformedPayload, 'not valid JSON'],
    ['a value that is not an object', '[1,2]', InletErrorCode.malformedPayload, 'JSON object'],
    [
      'a member given twice',
      '{"specversion":"1.0","id":"a","id":"b","source":"s","type":"gate.opened","time":"2026-11-25T11:59:00Z","data":{}}',
      InletErrorCode.malformedPayload,
      '"id" occurs more than once',
    ],
    ['no id', { ...envelope, id: undefined }, InletErrorCode.missingHeader, 'id'],
    ['an empty source', { ...envelope, source: '' }, InletErrorCode.missingHeader, 'source'],
    ['a numeric id', { ...envelope, id: 7 }, InletErrorCode.malformedPayload, 'id'],
    ['spec version 0.3', { ...envelope, specversion: '0.3' }, InletErrorCode.unsupportedContentType, '0.3'],
    ['a bad time', { ...envelope, time: 'soon' }, InletErrorCode.malformedPayload, 'time'],
    ['an object extension', { ...envelope, ext: { a: 1 } }, InletErrorCode.malformedPayload, 'ext'],
    ['a fractional extension', { ...envelope, ext: 1.5 }, InletErrorCode.malformedPayload, 'ext'],
    ['a bad attribute name', { ...envelope, 'Bad-Name': 'x' }, InletErrorCode.malformedPayload, 'Bad-Name'],
    ['no data', { ...envelope, data: undefined }, InletErrorCode.malformedPayload, 'no data'],
    [
      'data and data_base64',
      { ...envelope, data_base64: 'e30=' },
      InletErrorCode.malformedPayload,
      'data_base64',
    ],
    [
      'bad base64',
      { ...envelope, data: undefined, data_base64: 'e30' },
      InletErrorCode.malformedPayload,
      'base64',
    ],
    [
      'XML data',
      { ...envelope, datacontenttype: 'application/xml', data: '<gate/>' },
      InletErrorCode.unsupportedContentType,
      'application/xml',
    ],
    [
      'JSON data said to be framed',
      { ...envelope, datacontenttype: 'application/json; wire=confluent' },
      InletErrorCode.unsupportedContentType,
      'wire=confluent',
    ],
    [
      'JSON data for an Avro definition',
      { ...envelope, type: 'lane.counted', data: { laneId: 'x', count: 1, countedAt: 'x' } },
      InletErrorCode.unsupportedContentType,
      'avro',
    ],
    [
      'data failing the schema',
      { ...envelope, data: { ...gate, revision: -1 } },
      InletErrorCode.validationFailed,
      'revision',
    ],
    [
      'a partition key naming another entity',
      { ...envelope, partitionkey: 'o-other' },
      InletErrorCode.invalidKey,
      'o-other',
    ],
  ])('refuses %s', (_, body, code, mention) => {
    const error = decodeFailure(structured(body));
    expect(error.code).toBe(code);
    expect(error.message).toContain(mention);
  });

  it('refuses an event format it cannot read, and a structured record with no value', () => {
    const avro = decodeFailure(structured(envelope, [], 'application/cloudevents+avro'));
    expect(avro.code).toBe(InletErrorCode.unsupportedContentType);
    const tombstone = decodeFailure({ ...structured(envelope), value: null });
    expect(tombstone.code).toBe(InletErrorCode.truncated);
    const notUtf8 = decodeFailure({ ...structured(envelope), value: Buffer.from([0x7b, 0xff, 0x7d]) });
    expect(notUtf8.code).toBe(InletErrorCode.malformedPayload);
  });
});
