import { describe, expect, it } from 'vitest';
import { InletErrorCode, InletValidationError } from '../errors';
import { createEvent } from './create-event';
import {
  decodeFailure,
  foreignBinaryHeaders,
  GateOpened,
  gate,
  gates,
  now,
  rawRecord,
  received,
  textHeaders,
} from './envelope-fixtures.test-support';
import { decodeEventRecord, encodeEventRecord } from './event-record';
import { frameConfluent } from './wire-format';

const withHeaders = (...extra: [string, string | Buffer | null][]) =>
  rawRecord({ headers: [...foreignBinaryHeaders(), ...textHeaders(extra)] });

describe('application headers on decoded events', () => {
  it('keeps a binary header as bytes instead of refusing the event', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    const event = decodeEventRecord(withHeaders(['x-signature', bytes], ['tenant', 'acme']), gates);
    expect(event.headers['x-signature']).toEqual(bytes);
    expect(Buffer.isBuffer(event.headers['x-signature'])).toBe(true);
    expect(event.headers.tenant).toBe('acme');
  });

  it('keeps a header with no value as null', () => {
    const event = decodeEventRecord(withHeaders(['x-flag', null]), gates);
    expect(event.headers).toHaveProperty('x-flag', null);
  });

  it('keeps every value of a repeated header, in order', () => {
    const event = decodeEventRecord(
      withHeaders(['x-hop', 'edge'], ['x-hop', Buffer.from([0xff])], ['x-hop', null]),
      gates,
    );
    expect(event.headers['x-hop']).toEqual(['edge', Buffer.from([0xff]), null]);
  });

  it('keeps text exactly, a leading byte order mark included', () => {
    const event = decodeEventRecord(withHeaders(['x-note', '\uFEFFhello'], ['x-empty', '']), gates);
    expect(event.headers['x-note']).toBe('\uFEFFhello');
    expect(event.headers['x-empty']).toBe('');
  });

  it('keeps a header named __proto__ as a header', () => {
    const event = decodeEventRecord(withHeaders(['__proto__', 'value']), gates);
    expect(Object.keys(event.headers)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(event.headers, '__proto__')?.value).toBe('value');
  });
});

describe('CloudEvents attribute headers are strict', () => {
  const without = (name: string) => foreignBinaryHeaders().filter((header) => header.name !== name);

  it.each([
    ['ce_id', null, 'has no value'],
    ['ce_source', Buffer.from([0xc3, 0x28]), 'not valid UTF-8'],
    ['ce_subject', Buffer.from([0xff]), 'not valid UTF-8'],
    ['ce_comexampleext', null, 'has no value'],
    ['content-type', null, 'has no value'],
  ] as const)('refuses %s with %s', (name, value, problem) => {
    const headers = [...without(name), { name, value }];
    const error = decodeFailure(rawRecord({ headers }));
    expect(error.code).toBe(InletErrorCode.malformedPayload);
    expect(error.message).toContain(name);
    expect(error.message).toContain(problem);
  });

  it.each(['ce_id', 'ce_type', 'ce_time', 'ce_specversion', 'content-type', 'ce_subject'])(
    'refuses a repeated %s instead of taking one of them',
    (name) => {
      const extra = name === 'ce_subject' ? ['a', 'b'] : ['x', 'y'];
      const headers = [
        ...foreignBinaryHeaders(),
        ...textHeaders(extra.map((value) => [name, value] as const)),
      ];
      const error = decodeFailure(rawRecord({ headers }));
      expect(error.code).toBe(InletErrorCode.malformedPayload);
      expect(error.message).toContain(`${name} occurs more than once`);
    },
  );

  it('refuses two content types spelled differently', () => {
    const error = decodeFailure(withHeaders(['Content-Type', 'application/json']));
    expect(error.message).toContain('more than once');
  });

  it.each([
    ['CE_ID', 'x'],
    ['ce_Subject', 'x'],
    ['ce_trace-id', 'x'],
    ['ce_', 'x'],
  ])('refuses %s, which is not a CloudEvents attribute name', (name, value) => {
    const error = decodeFailure(withHeaders([name, value]));
    expect(error.code).toBe(InletErrorCode.malformedPayload);
    expect(error.message).toContain(name);
  });

  it.each(['ce_datacontenttype', 'ce_data'])('refuses %s, which binary mode carries elsewhere', (name) => {
    const error = decodeFailure(withHeaders([name, 'application/json']));
    expect(error.code).toBe(InletErrorCode.malformedPayload);
    expect(error.message).toContain(name);
  });

  it('refuses an empty subject or data schema, which CloudEvents does not allow', () => {
    expect(decodeFailure(withHeaders(['ce_subject', ''])).message).toContain('ce_subject');
    expect(decodeFailure(withHeaders(['ce_dataschema', ''])).message).toContain('ce_dataschema');
  });

  it('reads a time with more fraction digits than nanoseconds', () => {
    const headers = [
      ...without('ce_time'),
      ...textHeaders([
        ['ce_time', '2026-11-25T11:59:00.123456789012+00:00'],
        ['ce_recordedtime', '2026-11-25T12:00:00.9999999999Z'],
      ]),
    ];
    const event = decodeEventRecord(rawRecord({ headers }), gates);
    expect(event.eventTime.getTime()).toBe(Date.UTC(2026, 10, 25, 11, 59, 0, 123));
    expect(event.producedAt.getTime()).toBe(Date.UTC(2026, 10, 25, 12, 0, 0, 999));
  });
});

describe('extension attributes', () => {
  it('keeps subject, data schema and every other extension on the event', () => {
    const event = decodeEventRecord(
      withHeaders(
        ['ce_subject', 'gate/north/1'],
        ['ce_dataschema', 'https://schemas.example/gate-opened.json'],
        ['ce_comexampleext', 'value'],
        ['ce_sequence', '42'],
        ['ce_blank', ''],
      ),
      gates,
    );
    expect(event.subject).toBe('gate/north/1');
    expect(event.dataSchema).toBe('https://schemas.example/gate-opened.json');
    expect(event.extensions).toEqual({ comexampleext: 'value', sequence: '42', blank: '' });
    expect(event.headers).toEqual({});
  });

  it('writes them back, and round-trips the event', () => {
    const event = createEvent(GateOpened, gate, {
      source: 'urn:inlet:test',
      now,
      subject: 'gate/north/1',
      dataSchema: 'https://schemas.example/gate-opened.json',
      extensions: { comexampleext: 'value', sequence: '42' },
      headers: { tenant: 'acme', 'x-signature': Buffer.from([0xff, 0x01]), 'x-hop': ['a', 'b'] },
    });
    const record = encodeEventRecord('gates', event, GateOpened);
    expect(record.headers).toMatchObject({
      ce_subject: 'gate/north/1',
      ce_dataschema: 'https://schemas.example/gate-opened.json',
      ce_comexampleext: 'value',
      ce_sequence: '42',
      tenant: 'acme',
      'x-hop': ['a', 'b'],
    });
    expect(decodeEventRecord(received(record), gates)).toEqual(event);
  });

  it('names the registry schema in ce_dataschema when the value is framed', () => {
    const event = createEvent(GateOpened, gate, {
      source: 'urn:inlet:test',
      now,
      dataSchema: 'https://schemas.example/ignored-when-framed.json',
    });
    const framed = encodeEventRecord('gates', event, GateOpened, { schemaId: 42 });
    expect(framed.headers?.ce_dataschema).toBe('urn:inlet:schema-registry:id:42');
    const withUrl = encodeEventRecord('gates', event, GateOpened, {
      schemaId: 7,
      schemaRegistryUrl: 'https://inlet:s3cret@registry.example:8081/apis/ccompat/v7/',
    });
    expect(withUrl.headers?.ce_dataschema).toBe(
      'https://registry.example:8081/apis/ccompat/v7/schemas/ids/7',
    );
    const plain = encodeEventRecord('gates', event, GateOpened);
    expect(plain.headers?.ce_dataschema).toBe('https://schemas.example/ignored-when-framed.json');
    const decoded = decodeEventRecord(received(framed), gates, {
      writerCodecForSchemaId: () => GateOpened.codec,
    });
    expect(decoded.dataSchema).toBe('urn:inlet:schema-registry:id:42');
  });

  it('refuses extensions, subjects, schemas and headers that could not round-trip', () => {
    const attempt = (options: object) => () =>
      createEvent(GateOpened, gate, { source: 'urn:inlet:test', now, ...options });
    const refusals: [object, string][] = [
      [{ extensions: { 'Not-Lower': 'x' } }, '(extensions)/Not-Lower'],
      [{ extensions: { id: 'x' } }, '(extensions)/id'],
      [{ extensions: { partitionkey: 'x' } }, '(extensions)/partitionkey'],
      [{ extensions: { traceparent: 'x' } }, '(extensions)/traceparent'],
      [{ extensions: { ok: 5 } }, '(extensions)/ok'],
      [{ extensions: { ok: 'broken \uD800' } }, '(extensions)/ok'],
      [{ subject: '' }, '(subject)'],
      [{ subject: 'x\uDC00' }, '(subject)'],
      [{ dataSchema: 'not a uri' }, '(dataSchema)'],
      [{ headers: { 'x-flag': null } }, '(headers)/x-flag'],
      [{ headers: { 'x-list': ['a', null] } }, '(headers)/x-list'],
      [{ headers: { 'x-text': 'broken \uD800' } }, '(headers)/x-text'],
      [{ headers: { 'x-\uD800': 'v' } }, '(headers)/'],
      [{ headers: { CE_ID: 'spoof' } }, '(headers)/CE_ID'],
      [{ headers: { 'Content-Type': 'text/plain' } }, '(headers)/Content-Type'],
    ];
    for (const [options, path] of refusals) {
      const error = (() => {
        try {
          attempt(options)();
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error, JSON.stringify(options)).toBeInstanceOf(InletValidationError);
      expect((error as InletValidationError).issues[0]?.path).toContain(path);
    }
  });

  it('refuses to encode a decoded event whose header has no value, which no transport can write', () => {
    const event = decodeEventRecord(withHeaders(['x-flag', null]), gates);
    expect(() => encodeEventRecord('gates', event, GateOpened)).toThrow(
      expect.objectContaining({
        code: InletErrorCode.validationFailed,
        issues: [expect.objectContaining({ path: '(headers)/x-flag' })],
      }),
    );
  });
});

describe('entity identity from any producer', () => {
  it('reads the record key as the entity key, with or without ce_partitionkey', () => {
    const inlet = createEvent(GateOpened, gate, { source: 'urn:inlet:test', now });
    const fromInlet = decodeEventRecord(received(encodeEventRecord('gates', inlet, GateOpened)), gates);
    const fromKcat = decodeEventRecord(
      rawRecord({ key: Buffer.from('o-gate'), headers: foreignBinaryHeaders() }),
      gates,
    );
    expect(fromInlet.key).toBe('o-gate');
    expect(fromKcat.key).toBe('o-gate');
  });

  it('reads the entity version from the data when the writer set no ce_entityversion', () => {
    const revision3 = rawRecord({
      value: Buffer.from(JSON.stringify({ ...gate, revision: 3 })),
      headers: foreignBinaryHeaders(),
    });
    expect(decodeEventRecord(revision3, gates).entityVersion).toBe(3);
    const error = decodeFailure(
      rawRecord({
        value: Buffer.from(JSON.stringify({ ...gate, revision: 3 })),
        headers: [...foreignBinaryHeaders(), ...textHeaders([['ce_entityversion', '9']])],
      }),
    );
    expect(error.code).toBe(InletErrorCode.malformedPayload);
    expect(error.message).toContain('ce_entityversion 9 is not the entity version 3');
  });

  it('refuses to create an event whose string key UTF-8 cannot carry', () => {
    for (const gateId of ['\uD800x', '\uDC00x']) {
      expect(() => createEvent(GateOpened, { ...gate, gateId }, { source: 'urn:inlet:test', now })).toThrow(
        expect.objectContaining({ code: InletErrorCode.invalidKey }),
      );
    }
  });

  it('reads a key that is not UTF-8 as bytes', () => {
    const key = Buffer.from([0xff, 0x00, 0x01]);
    const event = decodeEventRecord(rawRecord({ key, headers: foreignBinaryHeaders() }), gates);
    expect(event.key).toEqual(key);
  });

  it('refuses a ce_partitionkey that names another entity than the record key', () => {
    const error = decodeFailure(withHeaders(['ce_partitionkey', 'o-other']));
    expect(error.code).toBe(InletErrorCode.invalidKey);
    expect(error.message).toContain('o-other');
    const binaryKey = decodeFailure(
      rawRecord({
        key: Buffer.from([0xff]),
        headers: [...foreignBinaryHeaders(), ...textHeaders([['ce_partitionkey', '\uFFFD']])],
      }),
    );
    expect(binaryKey.code).toBe(InletErrorCode.invalidKey);
  });
});

describe('registry-framed values', () => {
  const framedRecord = () =>
    rawRecord({
      value: frameConfluent(9, Buffer.from(JSON.stringify(gate))),
      headers: [
        ...foreignBinaryHeaders().filter((header) => header.name !== 'content-type'),
        ...textHeaders([['content-type', 'application/json; wire=confluent']]),
      ],
    });

  it('says no schema registry is configured when the decoder has no way to look ids up', () => {
    const error = decodeFailure(framedRecord());
    expect(error.code).toBe(InletErrorCode.unknownSchemaId);
    expect(error.message).toContain('no schema registry is configured');
  });

  it('says the registry does not know the id when it has a lookup', () => {
    const error = decodeFailure(framedRecord(), { writerCodecForSchemaId: () => undefined });
    expect(error.code).toBe(InletErrorCode.unknownSchemaId);
    expect(error.message).toContain('schema id 9 is not known to the schema registry');
  });
});
