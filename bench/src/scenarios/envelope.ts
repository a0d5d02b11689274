import {
  avroSchema,
  createEvent,
  createUuidV7Generator,
  defineEvent,
  type EventDefinition,
  encodeEventRecord,
  jsonSchema,
} from '@inlet/core';
import avro from 'avsc';
import type { Arm, Scenario } from '../harness';

// What the envelope costs: validating, stamping (id, times, key) and framing an event as a
// CloudEvents record, against the bare library serialising the same data.

export interface OrderData {
  readonly orderId: string;
  readonly customerId: string;
  readonly total: number;
  readonly currency: 'EUR' | 'USD' | 'GBP';
  readonly placedAt: string;
  readonly lines: readonly { readonly sku: string; readonly quantity: number; readonly price: number }[];
}

export const orderJsonSchema = jsonSchema({
  type: 'object',
  properties: {
    orderId: { type: 'string', minLength: 1 },
    customerId: { type: 'string', minLength: 1 },
    total: { type: 'number', minimum: 0 },
    currency: { enum: ['EUR', 'USD', 'GBP'] },
    placedAt: { type: 'string' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string' },
          quantity: { type: 'integer', minimum: 1 },
          price: { type: 'number', minimum: 0 },
        },
        required: ['sku', 'quantity', 'price'],
        additionalProperties: false,
      },
    },
  },
  required: ['orderId', 'customerId', 'total', 'currency', 'placedAt', 'lines'],
  additionalProperties: false,
});

export function sampleOrders(count: number): OrderData[] {
  const placedAt = new Date(Date.now() - 60_000).toISOString();
  return Array.from({ length: count }, (_, index) => ({
    orderId: `order-${index}`,
    customerId: `customer-${index % 997}`,
    total: 20 + (index % 100),
    currency: (['EUR', 'USD', 'GBP'] as const)[index % 3] ?? 'EUR',
    placedAt,
    lines: [
      { sku: `sku-${index % 50}`, quantity: 1 + (index % 3), price: 10 },
      { sku: `sku-${(index + 7) % 50}`, quantity: 1, price: 10 + (index % 90) },
    ],
  }));
}

export const OrderPlacedJson = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: orderJsonSchema,
  key: (order) => order.orderId,
  eventTime: (order) => order.placedAt,
});

export const orderAvroSchema = avroSchema({
  type: 'record',
  name: 'OrderPlaced',
  namespace: 'dev.inlet.bench',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'customerId', type: 'string' },
    { name: 'total', type: 'double' },
    { name: 'currency', type: { type: 'enum', name: 'Currency', symbols: ['EUR', 'USD', 'GBP'] } },
    { name: 'placedAt', type: 'string' },
    {
      name: 'lines',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'OrderLine',
          fields: [
            { name: 'sku', type: 'string' },
            { name: 'quantity', type: 'int' },
            { name: 'price', type: 'double' },
          ],
        },
      },
    },
  ],
});

export const OrderPlacedAvro = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: orderAvroSchema,
  key: (order) => order.orderId,
  eventTime: (order) => order.placedAt,
});

/** An arm that stamps, validates and encodes every order as an Inlet record. */
export function envelopeArm(
  label: string,
  definition: EventDefinition<string, OrderData>,
  orders: readonly OrderData[],
  schemaId?: number,
): Arm {
  const newId = createUuidV7Generator();
  const encodeOptions = schemaId === undefined ? {} : { schemaId };
  return {
    label,
    async run() {
      let bytes = 0;
      const now = Date.now();
      for (const order of orders) {
        const event = createEvent(definition, order, { source: 'urn:inlet:bench', newId, now });
        const record = encodeEventRecord('orders', event, definition, encodeOptions);
        bytes += record.value?.length ?? 0;
      }
      if (bytes === 0) throw new Error('encoded nothing');
      return { work: orders.length };
    },
  };
}

const envelopeJson: Scenario = {
  name: 'envelope-json',
  group: 'envelope',
  description:
    'Inlet createEvent + encodeEventRecord (JSON Schema validation via ajv, UUIDv7, key and event-time checks, ' +
    'CloudEvents headers, Confluent framing) vs JSON.stringify + Buffer.from of the same order data',
  unit: 'events/s',
  better: 'higher',
  needsKafka: false,
  pairs: 7,
  async prepare({ quick }) {
    const orders = sampleOrders(quick ? 5_000 : 50_000);
    const baseline: Arm = {
      label: 'JSON.stringify + Buffer.from',
      async run() {
        let bytes = 0;
        for (const order of orders) bytes += Buffer.from(JSON.stringify(order), 'utf8').length;
        if (bytes === 0) throw new Error('encoded nothing');
        return { work: orders.length };
      },
    };
    return { ours: envelopeArm('inlet envelope (json)', OrderPlacedJson, orders, 17), baseline };
  },
};

const envelopeAvro: Scenario = {
  name: 'envelope-avro',
  group: 'envelope',
  description:
    'Inlet createEvent + encodeEventRecord (Avro validation and encoding via avsc, UUIDv7, key and event-time ' +
    'checks, CloudEvents headers, Confluent framing) vs avsc type.toBuffer of the same order data',
  unit: 'events/s',
  better: 'higher',
  needsKafka: false,
  pairs: 7,
  async prepare({ quick }) {
    const orders = sampleOrders(quick ? 5_000 : 50_000);
    const rawType = avro.Type.forSchema(orderAvroSchema.schema as avro.Schema);
    const baseline: Arm = {
      label: 'avsc toBuffer',
      async run() {
        let bytes = 0;
        for (const order of orders) bytes += rawType.toBuffer(order).length;
        if (bytes === 0) throw new Error('encoded nothing');
        return { work: orders.length };
      },
    };
    return { ours: envelopeArm('inlet envelope (avro)', OrderPlacedAvro, orders, 17), baseline };
  },
};

export const envelopeScenarios: readonly Scenario[] = [envelopeJson, envelopeAvro];
