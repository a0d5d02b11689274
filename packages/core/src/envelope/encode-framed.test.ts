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
});
