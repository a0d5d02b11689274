import avsc from 'avsc';
import { describe, expect, it, vi } from 'vitest';
import { InletError, InletValidationError } from '../../errors';
import type { PayloadCodec } from '../payload-codec';
import { type AvroCodec, avroSchema, avroSchemaOf, canRead } from './avro-schema';
import type { AvroSchema } from './avro-schema-types';

/** An Avro long as any Avro library writes it: zig-zag, then base-128 varint, least significant first. */
function longBytes(value: bigint): Buffer {
  let zigZag = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  const bytes: number[] = [];
  while (zigZag >= 0x80n) {
    bytes.push(Number(zigZag & 0x7fn) | 0x80);
    zigZag >>= 7n;
  }
  bytes.push(Number(zigZag));
  return Buffer.from(bytes);
}

function roundTrip<T>(codec: AvroCodec<T, unknown>, value: T): unknown {
  const decoded = codec.decode(codec.encode(value));
  if (!decoded.ok) throw new Error(decoded.message);
  return decoded.value;
}

function definitionError(schema: unknown): InletError {
  try {
    avroSchema(schema as AvroSchema);
  } catch (error) {
    if (InletError.is(error)) return error;
    throw error;
  }
  throw new Error('the schema was accepted');
}

describe('avroSchema primitives', () => {
  it.each([
    ['null', null],
    ['boolean', true],
    ['int', -2_147_483_648],
    ['long', 9_007_199_254_740_990],
    ['float', 1.5],
    ['double', Math.PI],
    ['string', 'grüße 👋'],
  ] as const)('round-trips %s', (schema, value) => {
    const codec = avroSchema(schema);
    expect(codec.validate(value)).toEqual({ ok: true, value });
    expect(roundTrip(codec as AvroCodec<unknown>, value)).toEqual(value);
    expect(roundTrip(avroSchema({ type: schema }) as AvroCodec<unknown>, value)).toEqual(value);
  });

  it('round-trips bytes as a Buffer', () => {
    const codec = avroSchema('bytes');
    expect(roundTrip(codec, Buffer.from([0, 255, 7]))).toEqual(Buffer.from([0, 255, 7]));
    expect(codec.validate(new Uint8Array([1])).ok).toBe(false);
  });

  it('keeps ints to 32 bits and longs to safe integers', () => {
    const int = avroSchema('int');
    expect(int.validate(2 ** 31).ok).toBe(false);
    expect(int.validate(1.5).ok).toBe(false);
    expect(int.decode(longBytes(2n ** 32n + 1n))).toMatchObject({ ok: false, reason: 'malformed' });
    const long = avroSchema('long');
    expect(long.validate(2 ** 53).ok).toBe(false);
    expect(long.validate(Number.NaN).ok).toBe(false);
    expect(long.decode(longBytes(2n ** 60n))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/precision/),
    });
  });

  it('encodes and decodes longs beyond ±2^52 exactly (avsc alone flips the sign of some)', () => {
    const long = avroSchema('long');
    for (const value of [
      -4_503_599_627_370_497, -9_007_199_254_740_990, 9_007_199_254_740_990, 4_503_599_627_370_497,
    ]) {
      expect(long.encode(value)).toEqual(longBytes(BigInt(value)));
      expect(long.decode(longBytes(BigInt(value)))).toEqual({ ok: true, value });
    }
  });

  it('stores a float in 32 bits, so a double-only value comes back rounded', () => {
    expect(roundTrip(avroSchema('float'), 0.1)).toBe(Math.fround(0.1));
  });

  it('refuses a string with a lone surrogate, which UTF-8 cannot carry (it would not read back the same)', () => {
    const text = avroSchema('string');
    expect(text.validate('a\uD800b')).toEqual({
      ok: false,
      issues: [
        {
          path: '',
          message:
            'expected well-formed Unicode text, found a string with a lone surrogate (UTF-8 cannot carry it)',
        },
      ],
    });
    expect(roundTrip(text, '👋 paired surrogates are fine')).toBe('👋 paired surrogates are fine');
    const counts = avroSchema({ type: 'map', values: 'int' });
    expect(counts.validate({ ok: 1, 'cut \uD83D': 2 })).toEqual({
      ok: false,
      issues: [
        { path: '/cut \uD83D', message: 'map key is not well-formed Unicode (it has a lone surrogate)' },
      ],
    });
  });
});

describe('avroSchema records', () => {
  const order = avroSchema({
    type: 'record',
    name: 'Order',
    namespace: 'com.acme',
    fields: [
      { name: 'orderId', type: 'string' },
      { name: 'note', type: ['null', 'string'], default: null },
      { name: 'priority', type: 'int', default: 3 },
      { name: 'tags', type: { type: 'array', items: 'string' }, default: ['new'] },
    ],
  });

  it('writes the default of a field left out or set to undefined, and always decodes every field', () => {
    expect(order.validate({ orderId: 'o-1' }).ok).toBe(true);
    expect(order.validate({ orderId: 'o-1', note: undefined }).ok).toBe(true);
    expect(roundTrip(order, { orderId: 'o-1' })).toEqual({
      orderId: 'o-1',
      note: null,
      priority: 3,
      tags: ['new'],
    });
    expect(roundTrip(order, { orderId: 'o-1', note: 'gift', priority: 1, tags: [] })).toEqual({
      orderId: 'o-1',
      note: 'gift',
      priority: 1,
      tags: [],
    });
  });

  it('decodes records to plain data: only fields are enumerable', () => {
    const decoded = roundTrip(order, { orderId: 'o-1' }) as object;
    const keys: string[] = [];
    for (const key in decoded) keys.push(key);
    expect(keys).toEqual(['orderId', 'note', 'priority', 'tags']);
    expect({ ...decoded }).toEqual({ orderId: 'o-1', note: null, priority: 3, tags: ['new'] });
  });

  it('names a missing field and a field of the wrong type by path', () => {
    expect(order.validate({ note: 5 })).toEqual({
      ok: false,
      issues: [
        { path: '/orderId', message: 'expected a string, found nothing (undefined)' },
        { path: '/note', message: 'expected null, or a string, found number 5' },
      ],
    });
  });

  it('rejects an undeclared field, so a misspelt optional field is not silently replaced by its default', () => {
    expect(order.validate({ orderId: 'o-1', notes: 'gift' })).toEqual({
      ok: false,
      issues: [
        {
          path: '/notes',
          message: 'is not a field of record "com.acme.Order" (its fields: orderId, note, priority, tags)',
        },
      ],
    });
  });

  it('still checks the declared fields of a record that has undeclared ones', () => {
    const result = order.validate({ orderId: 7, extra: true });
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['/extra', '/orderId']);
  });

  it('accepts and drops undeclared fields with allowUndeclaredFields', () => {
    const lenient = avroSchema(order.schema as AvroSchema, { allowUndeclaredFields: true });
    expect(lenient.validate({ orderId: 'o-1', notes: 'gift' }).ok).toBe(true);
    expect(roundTrip(lenient, { orderId: 'o-1', notes: 'gift' })).toEqual({
      orderId: 'o-1',
      note: null,
      priority: 3,
      tags: ['new'],
    });
  });

  it('throws INLET_VALIDATION_FAILED with the issues from encode for an invalid value', () => {
    try {
      order.encode({ orderId: 1 } as never);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InletValidationError);
      expect(error).toMatchObject({
        code: 'INLET_VALIDATION_FAILED',
        issues: [{ path: '/orderId', message: 'expected a string, found number 1' }],
      });
    }
  });

  it('never throws from validate, even on a value that throws when read', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no reading');
        },
      },
    );
    expect(order.validate(hostile)).toEqual({
      ok: false,
      issues: [{ path: '', message: 'could not be checked: no reading' }],
    });
  });
});

describe('avroSchema enums, arrays, maps, fixed and unions', () => {
  const cart = avroSchema({
    type: 'record',
    name: 'Cart',
    fields: [
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'CLOSED'] } },
      {
        name: 'items',
        type: {
          type: 'array',
          items: { type: 'record', name: 'Item', fields: [{ name: 'price', type: 'double' }] },
        },
      },
      { name: 'counts', type: { type: 'map', values: 'long' } },
      { name: 'checksum', type: { type: 'fixed', name: 'Checksum', size: 2 } },
      { name: 'coupon', type: ['null', 'string', 'long'] },
    ],
  });
  const valid = {
    status: 'OPEN',
    items: [{ price: 9.5 }],
    counts: { 'a/b': 1 },
    checksum: Buffer.from([1, 2]),
    coupon: null,
  } as const;

  it('round-trips them', () => {
    expect(roundTrip(cart, valid)).toEqual(valid);
    expect(roundTrip(cart, { ...valid, coupon: 'SAVE' })).toMatchObject({ coupon: 'SAVE' });
    expect(roundTrip(cart, { ...valid, coupon: 12 })).toMatchObject({ coupon: 12 });
  });

  it('says what was expected and found, at JSON-pointer paths', () => {
    const result = cart.validate({
      status: 'PENDING',
      items: [{ price: 1 }, { price: '2' }],
      counts: { 'a/b': 1.5, '~x': 2 },
      checksum: Buffer.from([1]),
      coupon: true,
    });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: '/status',
          message: 'expected one of "OPEN", "CLOSED" (enum "Status"), found string "PENDING"',
        },
        { path: '/items/1/price', message: 'expected a double (a number), found string "2"' },
        {
          path: '/counts/a~1b',
          message: 'expected a long (a safe integer, within ±(2^53-2)), found number 1.5',
        },
        {
          path: '/checksum',
          message: 'expected fixed "Checksum" (a Buffer of exactly 2 bytes), found a Buffer of 1 byte',
        },
        {
          path: '/coupon',
          message:
            'expected null, or a string, or a long (a safe integer, within ±(2^53-2)), found boolean true',
        },
      ],
    });
  });

  it('keeps a map key named __proto__ as data', () => {
    const counts = avroSchema({ type: 'map', values: 'int' });
    const value = Object.fromEntries([['__proto__', 1]]);
    const decoded = roundTrip(counts, value) as Record<string, number>;
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });

  it('takes a union at the top level', () => {
    const maybe = avroSchema(['null', 'string']);
    expect(roundTrip(maybe, null)).toBeNull();
    expect(roundTrip(maybe, 'x')).toBe('x');
    expect(maybe.validate(1).ok).toBe(false);
  });
});

describe('avroSchema logical types', () => {
  const event = avroSchema({
    type: 'record',
    name: 'Event',
    fields: [
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'seenAt', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }] },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'intMillis', type: { type: 'int', logicalType: 'timestamp-millis' } },
      { name: 'micros', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    ],
  });
  const value = {
    at: new Date('2024-05-01T10:00:00.123Z'),
    seenAt: new Date(-8.64e15),
    day: 19_844,
    intMillis: 5,
    micros: 1_714_557_600_123_456,
    id: '0190a7a4-8f3e-7c2a-9b1e-3f4d5e6a7b8c',
    amount: Buffer.from([0x30, 0x39]),
  };

  it('reads and writes timestamp-millis on a long as a Date, and every other logical type as its underlying type', () => {
    expect(event.validate(value).ok).toBe(true);
    expect(roundTrip(event, value)).toEqual(value);
    expect(roundTrip(event, { ...value, seenAt: null })).toMatchObject({ seenAt: null });
  });

  it('refuses a number, an invalid Date, or a Date for a plain long', () => {
    const result = event.validate({
      ...value,
      at: value.at.getTime(),
      seenAt: new Date(Number.NaN),
      micros: value.at,
    });
    expect(result.ok ? [] : result.issues).toEqual([
      { path: '/at', message: 'expected a valid Date (timestamp-millis), found number 1714557600123' },
      {
        path: '/seenAt',
        message: 'expected null, or a valid Date (timestamp-millis), found an invalid Date',
      },
      {
        path: '/micros',
        message: 'expected a long (a safe integer, within ±(2^53-2)), found Date 2024-05-01T10:00:00.123Z',
      },
    ]);
  });

  it('refuses to decode a timestamp outside the range of a Date', () => {
    const at = avroSchema({ type: 'long', logicalType: 'timestamp-millis' });
    expect(at.decode(longBytes(8_640_000_000_000_001n))).toMatchObject({
      ok: false,
      reason: 'malformed',
      message: expect.stringMatching(/outside the range of a Date/),
    });
  });

  it('reads a long written by an older schema as a timestamp-millis Date', () => {
    const before = avroSchema({ type: 'record', name: 'E', fields: [{ name: 'at', type: 'long' }] });
    const after = avroSchema({
      type: 'record',
      name: 'E',
      fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } }],
    });
    expect(after.decode(before.encode({ at: 1000 }), before)).toEqual({
      ok: true,
      value: { at: new Date(1000) },
    });
    expect(before.decode(after.encode({ at: new Date(1000) }), after)).toEqual({
      ok: true,
      value: { at: 1000 },
    });
  });
});

describe('avroSchema named types', () => {
  it('resolves references by short name, full name and absolute name', () => {
    const shipment = avroSchema({
      type: 'record',
      name: 'Shipment',
      namespace: 'com.acme.shipping',
      fields: [
        {
          name: 'from',
          type: { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] },
        },
        { name: 'to', type: 'Address' },
        { name: 'via', type: { type: 'array', items: 'com.acme.shipping.Address' } },
        {
          name: 'carrier',
          type: {
            type: 'record',
            name: 'Carrier',
            namespace: 'com.acme.partners',
            fields: [
              { name: 'depot', type: 'com.acme.shipping.Address' },
              { name: 'code', type: { type: 'fixed', name: 'Code', namespace: '', size: 2 } },
              { name: 'backup', type: '.Code' },
            ],
          },
        },
      ],
    });
    const value = {
      from: { city: 'Lyon' },
      to: { city: 'Oslo' },
      via: [{ city: 'Bern' }],
      carrier: { depot: { city: 'Gent' }, code: Buffer.from('ab'), backup: Buffer.from('cd') },
    };
    expect(roundTrip(shipment, value)).toEqual(value);
  });

  it('refuses a short name from another namespace (FromAvroSchema gives never)', () => {
    const error = definitionError({
      type: 'record',
      name: 'Outer',
      namespace: 'a',
      fields: [
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['X'] } },
        {
          name: 'inner',
          type: { type: 'record', name: 'Inner', namespace: 'b', fields: [{ name: 'kind', type: 'Kind' }] },
        },
      ],
    });
    expect(error).toMatchObject({
      code: 'INLET_SCHEMA_INVALID',
      message: 'invalid Avro schema: undefined type name: b.Kind',
    });
  });

  it('round-trips a recursive record', () => {
    const list = avroSchema({
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: 'int' },
        { name: 'next', type: ['null', 'Node'] },
      ],
    });
    const value = { value: 1, next: { value: 2, next: { value: 3, next: null } } };
    expect(list.validate(value).ok).toBe(true);
    expect(roundTrip(list, value)).toEqual(value);
  });
});

describe('avroSchema definition errors', () => {
  it.each([
    [['int', 'double'], /the union at \(root\): "int" and "double" are both numbers/],
    [
      ['null', 'string', { type: 'enum', name: 'Color', symbols: ['RED'] }],
      /"string" and "Color" are both strings/,
    ],
    [['bytes', { type: 'fixed', name: 'Id', size: 4 }], /"bytes" and "Id" are both Buffers/],
    [
      [
        { type: 'map', values: 'int' },
        { type: 'record', name: 'R', fields: [] },
      ],
      /"map" and "R" are both objects/,
    ],
    [
      ['null', { type: 'long', logicalType: 'timestamp-millis' }, { type: 'map', values: 'string' }],
      /"timestamp-millis" and "map" are both objects/,
    ],
    [
      {
        type: 'record',
        name: 'Order',
        fields: [{ name: 'lines', type: { type: 'array', items: ['null', 'int', 'long', 'float'] } }],
      },
      /the union at \/lines\/\*: "int" and "long" and "float" are all numbers/,
    ],
  ])('refuses the ambiguous union %j with INLET_INVALID_DEFINITION', (schema, message) => {
    const error = definitionError(schema);
    expect(error.code).toBe('INLET_INVALID_DEFINITION');
    expect(error.message).toMatch(message);
  });

  it.each([
    [{ type: 'decimal' }, 'unknown type: "decimal"'],
    [
      { type: 'record', name: 'R', fields: [{ name: 'n', type: 'int', default: 'x' }] },
      'incompatible field default',
    ],
    [{ type: 'record', name: 'R', fields: [{ name: 'next', type: 'Later' }] }, 'undefined type name: Later'],
    [{ type: 'enum', name: 'E', symbols: [] }, 'invalid enum symbols'],
    [{ type: 'record', name: 'bad-name', fields: [] }, 'invalid name'],
    [['null', { type: 'record', name: 'R', fields: [] }, 'R'], 'duplicate union branch name'],
    [null, 'did you mean "null"'],
    [undefined, 'got nothing (undefined)'],
  ])('refuses the invalid schema %j with INLET_SCHEMA_INVALID', (schema, message) => {
    const error = definitionError(schema);
    expect(error.code).toBe('INLET_SCHEMA_INVALID');
    expect(error.message).toContain(message);
  });

  it("keeps avsc's error as the cause", () => {
    const error = definitionError({ type: 'enum', name: 'E', symbols: [] });
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toContain('invalid enum symbols');
  });

  it('refuses a schema that is not JSON', () => {
    const cyclic: Record<string, unknown> = { type: 'record', name: 'R', fields: [] };
    cyclic.self = cyclic;
    expect(definitionError(cyclic).message).toMatch(/not JSON/);
  });

  it('validates its options', () => {
    expect(() => avroSchema('string', { allowUndeclaredFields: 'yes' } as never)).toThrow(
      expect.objectContaining({
        code: 'INLET_INVALID_OPTION',
        message: expect.stringMatching(/allowUndeclaredFields/),
      }),
    );
  });
});

describe('avroSchema schema and schemaText', () => {
  it('keeps the schema as given, as compact JSON, with what the canonical form would drop', () => {
    const schema = {
      type: 'record',
      name: 'Order',
      namespace: 'com.acme',
      doc: 'An order',
      'connect.name': 'com.acme.Order',
      fields: [
        {
          name: 'total',
          type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 },
          default: '',
        },
      ],
    } as const;
    const codec = avroSchema(schema);
    expect(codec.format).toBe('avro');
    expect(codec.schemaText).toBe(JSON.stringify(schema));
    expect(codec.schema).toEqual(schema);
  });

  it('holds a frozen copy, unaffected by later changes to the object given', () => {
    const schema = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] };
    const codec = avroSchema(schema as AvroSchema);
    schema.fields.push({ name: 'b', type: 'int' });
    expect(codec.schemaText).toBe('{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}');
    expect(Object.isFrozen((codec.schema as unknown as { fields: unknown[] }).fields[0])).toBe(true);
    expect(codec.validate({ a: 1 }).ok).toBe(true);
  });

  it('builds the same codec from a typed form with avroSchemaOf', () => {
    interface Reading {
      sensor: string;
      celsius: number;
    }
    const reading = avroSchemaOf<Reading>()({
      type: 'record',
      name: 'Reading',
      fields: [
        { name: 'sensor', type: 'string' },
        { name: 'celsius', type: 'float' },
      ],
    });
    expect(roundTrip(reading, { sensor: 's-1', celsius: 21.5 })).toEqual({ sensor: 's-1', celsius: 21.5 });
  });
});

describe('avroSchema decode', () => {
  const order = avroSchema({
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'orderId', type: 'string' },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['A', 'B'] } },
    ],
  });
  const bytes = order.encode({ orderId: 'o-1', status: 'B' });

  it('reports truncated bytes', () => {
    for (let length = 0; length < bytes.length; length++) {
      expect(order.decode(bytes.subarray(0, length))).toMatchObject({ ok: false, reason: 'truncated' });
    }
  });

  it('reports bytes left over after the value', () => {
    expect(order.decode(Buffer.concat([bytes, Buffer.from([0, 0])]))).toEqual({
      ok: false,
      reason: 'malformed',
      message: '2 of 7 bytes are left over after the Avro value',
    });
  });

  it('reports data that is not of this schema, with the error as cause', () => {
    const result = order.decode(Buffer.from([2, 0x41, 0x08]));
    expect(result).toMatchObject({
      ok: false,
      reason: 'malformed',
      message: expect.stringMatching(/enum index/),
    });
    expect(result.ok ? undefined : result.cause).toBeInstanceOf(Error);
  });

  it('takes any Uint8Array, and refuses what is not bytes', () => {
    expect(order.decode(new Uint8Array(bytes) as Buffer)).toEqual({
      ok: true,
      value: { orderId: 'o-1', status: 'B' },
    });
    expect(order.decode('hello' as never)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('avroSchema decoding hostile bytes', () => {
  /** An array or map block count far beyond what five bytes could hold. */
  const hugeCount = longBytes(2n ** 40n);

  it('stops an array as soon as the bytes run out', () => {
    const started = performance.now();
    expect(avroSchema({ type: 'array', items: 'int' }).decode(hugeCount)).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
    expect(avroSchema({ type: 'map', values: 'string' }).decode(hugeCount)).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stops when skipping a field the reader dropped', () => {
    const writer = avroSchema({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'junk', type: { type: 'array', items: 'long' } },
        { name: 'kept', type: 'int' },
      ],
    });
    const reader = avroSchema({ type: 'record', name: 'R', fields: [{ name: 'kept', type: 'int' }] });
    expect(reader.decode(hugeCount, writer)).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('refuses more than a million items that take no bytes, and reads fewer', () => {
    const nulls = avroSchema({ type: 'array', items: 'null' });
    expect(nulls.decode(Buffer.concat([hugeCount, Buffer.from([0])]))).toMatchObject({
      ok: false,
      reason: 'malformed',
      message: expect.stringMatching(/exceeds the limit of 1000000/),
    });
    const thousand = nulls.decode(Buffer.concat([longBytes(1000n), Buffer.from([0])]));
    expect(thousand.ok && thousand.value).toHaveLength(1000);
  });

  it('fails, without throwing, on nesting too deep for the stack', () => {
    const list = avroSchema({
      type: 'record',
      name: 'Node',
      fields: [{ name: 'next', type: ['null', 'Node'] }],
    });
    // Branch 1 (the Node) a million times: every level takes one byte.
    const deep = Buffer.concat([Buffer.alloc(1_000_000, 0x02), Buffer.from([0])]);
    expect(list.decode(deep)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('avroSchema schema resolution and canRead', () => {
  const v1 = avroSchema({
    type: 'record',
    name: 'Customer',
    namespace: 'com.acme',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['BASIC', 'GOLD'] } },
    ],
  });
  const v2 = avroSchema({
    type: 'record',
    name: 'Customer',
    namespace: 'com.acme',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['BASIC', 'GOLD', 'PLATINUM'] } },
      { name: 'email', type: ['null', 'string'], default: null },
    ],
  });

  it('gives a field added with a default its default when reading older data', () => {
    expect(v2.decode(v1.encode({ id: 'c-1', tier: 'GOLD' }), v1)).toEqual({
      ok: true,
      value: { id: 'c-1', tier: 'GOLD', email: null },
    });
  });

  it('builds the resolver for a writer once', () => {
    const reader = avroSchema(v2.schema as AvroSchema);
    const bytes = v1.encode({ id: 'c-1', tier: 'GOLD' });
    const createResolver = vi.spyOn(avsc.Type.prototype, 'createResolver');
    try {
      reader.decode(bytes, v1);
      const calls = createResolver.mock.calls.length;
      expect(calls).toBeGreaterThan(0);
      reader.decode(bytes, v1);
      expect(canRead(reader, v1)).toEqual({ ok: true });
      expect(createResolver.mock.calls.length).toBe(calls);
    } finally {
      createResolver.mockRestore();
    }
  });

  it('tells which versions can read which', () => {
    expect(canRead(v2, v1)).toEqual({ ok: true });
    expect(canRead(v1, v1)).toEqual({ ok: true });
    // v1 lacks PLATINUM and has no enum default.
    expect(canRead(v1, v2)).toMatchObject({ ok: false, reason: expect.stringMatching(/cannot be read/) });
  });

  it('refuses a new field without a default, a changed type and a renamed record', () => {
    const strict = avroSchema({
      type: 'record',
      name: 'Customer',
      namespace: 'com.acme',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'since', type: 'long' },
      ],
    });
    expect(canRead(strict, v1)).toMatchObject({ ok: false, reason: expect.stringMatching(/since/) });
    const numericId = avroSchema({
      type: 'record',
      name: 'Customer',
      namespace: 'com.acme',
      fields: [{ name: 'id', type: 'int' }],
    });
    expect(canRead(numericId, v1).ok).toBe(false);
    const renamed = avroSchema({
      type: 'record',
      name: 'Client',
      namespace: 'com.acme',
      fields: [{ name: 'id', type: 'string' }],
    });
    expect(canRead(renamed, v1).ok).toBe(false);
    const aliased = avroSchema({
      type: 'record',
      name: 'Client',
      namespace: 'com.acme',
      aliases: ['Customer'],
      fields: [{ name: 'id', type: 'string' }],
    });
    expect(canRead(aliased, v1)).toEqual({ ok: true });
  });

  it('fails to decode, with the reason, when the writer schema cannot be read', () => {
    expect(v1.decode(v2.encode({ id: 'c-1', tier: 'BASIC' }), v2)).toMatchObject({
      ok: false,
      reason: 'malformed',
      message: expect.stringMatching(/writer schema cannot be read/),
    });
  });

  it('refuses a writer that is not an Avro codec', () => {
    const json = { format: 'json' } as unknown as PayloadCodec<unknown>;
    expect(v2.decode(Buffer.alloc(0), json)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/not a codec/),
    });
    expect(canRead(v2, json as AvroCodec<unknown>).ok).toBe(false);
    expect(canRead(json as AvroCodec<unknown>, v2).ok).toBe(false);
  });
});
