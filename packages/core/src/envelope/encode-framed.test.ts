import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avroSchema } from '../codecs/avro/avro-schema';
import { jsonSchema } from '../codecs/json/json-schema-codec';
import { frameConfluent } from './wire-format';

describe('encodeFramed', () => {
  const avro = avroSchema({
    type: 'record',
    name: 'Note',
    fields: [
      { name: 'text', type: 'string' },
      { name: 'tags', type: { type: 'array', items: 'string' } },
    ],
  });
  const json = jsonSchema({
    type: 'object',
    properties: { text: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
    required: ['text', 'tags'],
  });
  const note = fc.record({
    text: fc.string({ maxLength: 5000 }),
    tags: fc.array(fc.string(), { maxLength: 50 }),
  });

  it('writes exactly the framed form of encode(), for any size, both codecs', () => {
    fc.assert(
      fc.property(note, fc.integer({ min: 0, max: 0xffffffff }), (value, id) => {
        expect(avro.encodeFramed(value, id)).toEqual(frameConfluent(id, avro.encode(value)));
        expect(json.encodeFramed(value, id)).toEqual(frameConfluent(id, json.encode(value)));
      }),
    );
  });

  it('gives every value bytes of its own, also past the scratch buffer it writes into first', () => {
    const small = { text: 'first', tags: ['a'] };
    const large = { text: 'x'.repeat(200_000), tags: ['b'] };
    const smallBytes = avro.encode(small);
    const smallFramed = avro.encodeFramed(small, 7);
    const largeBytes = avro.encode(large);
    const largeFramed = avro.encodeFramed(large, 8);
    avro.encode({ text: 'overwrite', tags: ['c', 'd'] });
    expect(avro.decode(smallBytes)).toEqual({ ok: true, value: small });
    expect(avro.decode(largeBytes)).toEqual({ ok: true, value: large });
    expect(smallFramed).toEqual(frameConfluent(7, smallBytes));
    expect(largeFramed).toEqual(frameConfluent(8, largeBytes));
  });
});
