import { describe, expect, it } from 'vitest';
import { findJsonSchemaIssues, JsonSchemaIssueKind as Kind } from './find-json-schema-issues';

function issuesOf(schema: unknown) {
  return findJsonSchemaIssues(schema).map((issue) => [issue.kind, issue.path]);
}

describe('findJsonSchemaIssues', () => {
  it.each([
    ['an object', { type: 'object', properties: { a: { type: 'string' } } }],
    ['true', true],
    ['false', false],
    [
      'local references',
      { definitions: { a: { type: 'string' } }, properties: { a: { $ref: '#/definitions/a' } } },
    ],
    ['$defs and escaped pointers', { $defs: { 'a/b': { type: 'string' } }, items: { $ref: '#/$defs/a~1b' } }],
    [
      'anchors',
      { definitions: { a: { $id: '#money', type: 'number' } }, properties: { a: { $ref: '#money' } } },
    ],
    [
      'a reference through the root $id',
      {
        $id: 'https://example.com/order.json',
        definitions: { a: {} },
        items: { $ref: 'https://example.com/order.json#/definitions/a' },
      },
    ],
    ['recursion that descends', { type: 'object', properties: { next: { $ref: '#' } } }],
  ])('finds nothing wrong with %s', (_, schema) => {
    expect(findJsonSchemaIssues(schema)).toEqual([]);
  });

  it.each([
    ['a number as the schema', 3, [[Kind.schemaNotObjectOrBoolean, '']]],
    ['null as the schema', null, [[Kind.schemaNotObjectOrBoolean, '']]],
    ['an array as the schema', [{ type: 'string' }], [[Kind.schemaNotObjectOrBoolean, '']]],
    [
      'a string as a property schema',
      { properties: { a: 'string' } },
      [[Kind.schemaNotObjectOrBoolean, '/properties/a']],
    ],
    [
      'a number inside anyOf',
      { anyOf: [{ type: 'string' }, 1] },
      [[Kind.schemaNotObjectOrBoolean, '/anyOf/1']],
    ],
    [
      'a missing definition',
      { items: { $ref: '#/definitions/missing' } },
      [[Kind.referenceUnresolved, '/items/$ref']],
    ],
    [
      'a reference to another document',
      { $ref: 'other.json#/definitions/a' },
      [[Kind.referenceUnresolved, '/$ref']],
    ],
    ['an unknown anchor', { $ref: '#nowhere' }, [[Kind.referenceUnresolved, '/$ref']]],
    [
      'a reference under a subschema with its own base URI',
      {
        definitions: {
          money: { $id: 'money.json', definitions: { a: {} }, items: { $ref: '#/definitions/a' } },
        },
      },
      [[Kind.referenceUnresolved, '/definitions/money/items/$ref']],
    ],
    [
      'a reference to data',
      { enum: [1], properties: { a: { $ref: '#/enum/0' } } },
      [[Kind.referenceUnresolved, '/properties/a/$ref']],
    ],
    ['a reference that is not a string', { $ref: 1 }, [[Kind.referenceUnresolved, '/$ref']]],
    ['a reference to itself', { $ref: '#' }, [[Kind.referenceCycle, '/$ref']]],
    [
      'references looping through allOf',
      {
        definitions: {
          a: { allOf: [{ $ref: '#/definitions/b' }] },
          b: { anyOf: [{ $ref: '#/definitions/a' }] },
        },
        $ref: '#/definitions/a',
      },
      [
        [Kind.referenceCycle, '/definitions/a/allOf/0/$ref'],
        [Kind.referenceCycle, '/definitions/b/anyOf/0/$ref'],
      ],
    ],
    ['an unknown type', { type: 'text' }, [[Kind.keywordInvalid, '/type']]],
    ['a repeated type', { type: ['string', 'string'] }, [[Kind.keywordInvalid, '/type']]],
    ['required not a list', { required: 'a' }, [[Kind.keywordInvalid, '/required']]],
    ['an empty enum', { enum: [] }, [[Kind.keywordInvalid, '/enum']]],
    ['a negative maxLength', { maxLength: -1 }, [[Kind.keywordInvalid, '/maxLength']]],
    [
      'a draft-04 boolean exclusiveMinimum',
      { minimum: 0, exclusiveMinimum: true },
      [[Kind.keywordInvalid, '/exclusiveMinimum']],
    ],
    ['a zero multipleOf', { multipleOf: 0 }, [[Kind.keywordInvalid, '/multipleOf']]],
    ['an invalid pattern', { pattern: '(' }, [[Kind.patternInvalid, '/pattern']]],
    [
      'an invalid patternProperties key',
      { patternProperties: { '[': {} } },
      [[Kind.patternInvalid, '/patternProperties/[']],
    ],
    [
      'an items list in 2020-12',
      { $schema: 'https://json-schema.org/draft/2020-12/schema', items: [{}] },
      [[Kind.keywordInvalid, '/items']],
    ],
  ])('reports %s', (_, schema, expected) => {
    expect(issuesOf(schema)).toEqual(expected);
    for (const issue of findJsonSchemaIssues(schema)) expect(issue.message.length).toBeGreaterThan(5);
  });
});
