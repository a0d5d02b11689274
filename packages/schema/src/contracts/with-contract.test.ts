import { createEvent, defineEvent, InletErrorCode, InletValidationError, jsonSchema } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { withContract } from './with-contract';

const now = Date.UTC(2026, 10, 25, 12);

const OrderPlaced = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      total: { type: 'number' },
      currency: { type: 'string' },
      placedAt: { type: 'string' },
      customer: {
        type: 'object',
        properties: { email: { type: 'string' }, name: { type: 'string' }, ssn: { type: 'string' } },
        required: ['email'],
      },
      lines: {
        type: 'array',
        items: {
          type: 'object',
          properties: { sku: { type: 'string' }, price: { type: 'number' } },
          required: ['sku', 'price'],
        },
      },
    },
    required: ['orderId', 'total', 'currency', 'placedAt', 'customer', 'lines'],
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.placedAt,
});

const Contracted = withContract(OrderPlaced, {
  rules: [
    { field: '/total', min: 0 },
    { field: '/currency', oneOf: ['EUR', 'USD'] },
    { field: '/lines/*/price', exclusiveMin: 0, name: 'prices are positive' },
    { field: '/customer/email', pattern: /^[^@\s]+@[^@\s]+$/ },
    {
      name: 'lines add up',
      check: (order) => order.lines.reduce((sum, line) => sum + line.price, 0) === order.total,
    },
  ],
  tags: { pii: ['/customer/email', '/customer/name'], secret: ['/customer/ssn'] },
  tagPolicies: { pii: 'redact', secret: 'refuse' },
});

const order = {
  orderId: 'o-1',
  total: 30,
  currency: 'EUR',
  placedAt: '2026-11-25T11:00:00Z',
  customer: { email: 'ada@example.com', name: 'Ada' },
  lines: [
    { sku: 'a', price: 10 },
    { sku: 'b', price: 20 },
  ],
};

function violation(data: unknown): InletValidationError {
  try {
    createEvent(Contracted, data, { source: 'urn:test', now });
  } catch (error) {
    if (error instanceof InletValidationError) return error;
    throw error;
  }
  throw new Error('expected a contract violation');
}

describe('withContract', () => {
  it('lets data that keeps the contract through', () => {
    expect(createEvent(Contracted, order, { source: 'urn:test', now }).data).toEqual(order);
  });

  it('refuses data that breaks field rules, naming each rule and field', () => {
    const error = violation({
      ...order,
      total: -5,
      currency: 'GBP',
      lines: [
        { sku: 'a', price: 0 },
        { sku: 'b', price: -5 },
      ],
    });
    expect(error.code).toBe(InletErrorCode.contractViolation);
    expect(error.eventType).toBe('order.placed');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      '/total',
      '/currency',
      '/lines/0/price',
      '/lines/1/price',
    ]);
    expect(error.issues[0]?.message).toBe('rule "/total >= 0": is -5, must be >= 0');
    expect(error.issues[2]?.message).toContain('prices are positive');
  });

  it('runs custom rules over the whole event', () => {
    const error = violation({ ...order, total: 31 });
    expect(error.issues).toEqual([{ path: '(rule: lines add up)', message: 'is not kept' }]);
  });

  it('refuses fields tagged with a refuse policy', () => {
    const error = violation({ ...order, customer: { ...order.customer, ssn: '123-45-6789' } });
    expect(error.issues).toEqual([
      { path: '/customer/ssn', message: 'is tagged "secret", which this contract refuses to send' },
    ]);
  });

  it('redacts tagged fields in copies, leaving the data itself alone', () => {
    const copy = Contracted.contract?.redact(order);
    expect(copy).toEqual({ ...order, customer: { email: '<redacted:pii>', name: '<redacted:pii>' } });
    expect(order.customer.email).toBe('ada@example.com');
  });

  it('refuses malformed contracts when they are made', () => {
    expect(() => withContract(OrderPlaced, { rules: [{ field: 'total', min: 0 }] })).toThrow(
      /must start with/,
    );
    expect(() => withContract(OrderPlaced, { tagPolicies: { pii: 'refuse' } })).toThrow(
      /no field has that tag/,
    );
    expect(() => withContract(OrderPlaced, { rules: [{ field: '/x', pattern: /a/g }] })).toThrow(
      /g or y flag/,
    );
  });
});
