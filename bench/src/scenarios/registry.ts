import { createEvent, createUuidV7Generator, encodeEventRecord } from '@inlet/core';
import { createEmbeddedRegistry, createSchemaResolver } from '@inlet/schema';
import type { Arm, Scenario } from '../harness';
import { OrderPlacedAvro, sampleOrders } from './envelope';

// The registry's cost on the send path once ids are cached: looking the schema id up per event
// (as the producer does) against encoding with an id resolved once, up front. Should be ~1.0.
const registryLookup: Scenario = {
  name: 'registry-cached-lookup',
  group: 'registry',
  description:
    'per event: cached schema-id lookup (schema resolver over the embedded registry) + createEvent + ' +
    'encodeEventRecord (Avro, Confluent framing) vs the same encode with a schema id resolved once beforehand',
  unit: 'events/s',
  better: 'higher',
  needsKafka: false,
  pairs: 7,
  async prepare({ quick }) {
    const orders = sampleOrders(quick ? 5_000 : 50_000);
    const resolver = createSchemaResolver({ registry: createEmbeddedRegistry() });
    const preResolvedId = await resolver.schemaIdFor('orders', OrderPlacedAvro);
    const newId = createUuidV7Generator();

    const encodeAll = async (schemaIdFor: () => number | Promise<number>) => {
      let bytes = 0;
      const now = Date.now();
      for (const order of orders) {
        const cached = schemaIdFor();
        const schemaId = typeof cached === 'number' ? cached : await cached;
        const event = createEvent(OrderPlacedAvro, order, { source: 'urn:inlet:bench', newId, now });
        bytes += encodeEventRecord('orders', event, OrderPlacedAvro, { schemaId }).value?.length ?? 0;
      }
      if (bytes === 0) throw new Error('encoded nothing');
      return { work: orders.length };
    };
    const ours: Arm = {
      label: 'resolver lookup per event',
      run: () =>
        encodeAll(
          () =>
            resolver.cachedSchemaIdFor('orders', OrderPlacedAvro) ??
            resolver.schemaIdFor('orders', OrderPlacedAvro),
        ),
    };
    const baseline: Arm = { label: 'schema id resolved once', run: () => encodeAll(() => preResolvedId) };
    return { ours, baseline };
  },
};

export const registryScenarios: readonly Scenario[] = [registryLookup];
