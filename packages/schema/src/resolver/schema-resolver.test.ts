import {
  createEvent,
  decodeEventRecord,
  deliveredHeaders,
  encodeEventRecord,
  type RawRecord,
  schemaIdOf,
} from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { OrderPlacedV1, OrderPlacedV2, orders } from '../ci/fixtures/order-topics.fixture';
import { createEmbeddedRegistry } from '../registry/embedded-registry';
import { createSchemaResolver } from './schema-resolver';

const now = Date.UTC(2026, 10, 25, 12);

function incoming(record: ReturnType<typeof encodeEventRecord>): RawRecord {
  return {
    topic: record.topic,
    partition: 0,
    offset: '0',
    key: record.key,
    value: record.value,
    ...deliveredHeaders(record.headers),
    timestamp: now,
  };
}

describe('createSchemaResolver', () => {
  it('registers on first use under topic-record subjects, once, even when asked concurrently', async () => {
    const registry = createEmbeddedRegistry();
    const resolver = createSchemaResolver({ registry });
    const ids = await Promise.all([1, 2, 3].map(() => resolver.schemaIdFor('fixture-orders', OrderPlacedV1)));
    expect(new Set(ids).size).toBe(1);
    expect(await registry.subjects()).toEqual(['fixture-orders-order.placed']);
    expect(resolver.subjectFor('fixture-orders', OrderPlacedV1)).toBe('fixture-orders-order.placed');
  });

  it('refuses unregistered schemas under require-registered', async () => {
    const registry = createEmbeddedRegistry();
    const resolver = createSchemaResolver({ registry, registration: 'require-registered' });
    await expect(resolver.schemaIdFor('fixture-orders', OrderPlacedV1)).rejects.toMatchObject({
      code: 'INLET_SCHEMA_NOT_REGISTERED',
    });
    await createSchemaResolver({ registry }).schemaIdFor('fixture-orders', OrderPlacedV1);
    expect(await resolver.schemaIdFor('fixture-orders', OrderPlacedV1)).toBeGreaterThan(0);
  });

  it('decodes a framed record written with an older version into the reader of the newest', async () => {
    const registry = createEmbeddedRegistry();
    const resolver = createSchemaResolver({ registry });
    const event = createEvent(
      OrderPlacedV1,
      { orderId: 'o-1', total: 5, placedAt: new Date(now - 1000) },
      { source: 'urn:test', now },
    );
    const schemaId = await resolver.schemaIdFor('fixture-orders', OrderPlacedV1);
    const record = incoming(encodeEventRecord('fixture-orders', event, OrderPlacedV1, { schemaId }));
    const writerId = schemaIdOf(record) as number;
    await resolver.writerCodecFor(writerId);
    // The consumer's topic knows v1 and v2; the record says v1 and is decoded with v1's reader.
    const decoded = decodeEventRecord(record, orders, {
      writerCodecForSchemaId: (id) => resolver.cachedWriterCodecFor(id),
    });
    expect(decoded.data).toEqual({ orderId: 'o-1', total: 5, placedAt: new Date(now - 1000) });

    // A consumer that only defines v2 reads the v1 record through Avro resolution: channel defaults.
    const onlyV2 = {
      ...orders,
      find: (_type: string, version: number) => (version === 2 ? OrderPlacedV2 : undefined),
      latest: () => OrderPlacedV2,
    };
    const resolved = decodeEventRecord(record, onlyV2, {
      writerCodecForSchemaId: (id) => resolver.cachedWriterCodecFor(id),
    });
    expect(resolved.data).toEqual({
      orderId: 'o-1',
      total: 5,
      placedAt: new Date(now - 1000),
      channel: 'web',
    });
  });

  it('builds writer codecs for schemas with references', async () => {
    const registry = createEmbeddedRegistry();
    const address = await registry.register('address', {
      schemaType: 'AVRO',
      schema: JSON.stringify({
        type: 'record',
        name: 'Address',
        namespace: 'refs',
        fields: [{ name: 'city', type: 'string' }],
      }),
    });
    const customer = await registry.register('customer', {
      schemaType: 'AVRO',
      schema: JSON.stringify({
        type: 'record',
        name: 'Customer',
        namespace: 'refs',
        fields: [
          { name: 'home', type: 'refs.Address' },
          { name: 'work', type: ['null', 'refs.Address'], default: null },
        ],
      }),
      references: [{ name: 'refs.Address', subject: 'address', version: address.version }],
    });
    const codec = await createSchemaResolver({ registry }).writerCodecFor(customer.id);
    const value = { home: { city: 'Ghent' }, work: { city: 'Brussels' } };
    expect(codec.decode(codec.encode(value))).toEqual({ ok: true, value });
  });

  it('does not cache failures', async () => {
    const registry = createEmbeddedRegistry();
    const resolver = createSchemaResolver({ registry });
    await expect(resolver.writerCodecFor(42)).rejects.toMatchObject({
      code: 'INLET_DECODE_UNKNOWN_SCHEMA_ID',
    });
    expect(resolver.cachedWriterCodecFor(42)).toBeUndefined();
  });
});

describe('cachedSchemaIdFor', () => {
  it('answers only once an id is known', async () => {
    const resolver = createSchemaResolver({ registry: createEmbeddedRegistry() });
    expect(resolver.cachedSchemaIdFor('fixture-orders', OrderPlacedV1)).toBeUndefined();
    const id = await resolver.schemaIdFor('fixture-orders', OrderPlacedV1);
    expect(resolver.cachedSchemaIdFor('fixture-orders', OrderPlacedV1)).toBe(id);
  });
});
