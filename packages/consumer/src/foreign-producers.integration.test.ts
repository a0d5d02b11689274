import { defineEvent, defineTopic, jsonSchema, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { kcatProduce, testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import { createMemoryVersionStore } from './stores/memory-stores';

// The same entity from another producer is the same entity: its Kafka key is read the same way
// whoever wrote it, so the version gate and the per-key lanes treat kcat's records as Inlet's own.

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'foreign-producers' });
});
afterAll(async () => {
  await transport.close();
});

const GateChanged = defineEvent({
  type: 'gate.changed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      gateId: { type: 'string', minLength: 1 },
      revision: { type: 'integer', minimum: 0 },
      at: { type: 'string' },
    },
    required: ['gateId', 'revision', 'at'],
    additionalProperties: false,
  }),
  key: (gate) => gate.gateId,
  eventTime: (gate) => gate.at,
  entityVersion: (gate) => gate.revision,
});

async function gatesTopic() {
  const gates = defineTopic({ name: uniqueName('gates'), events: [GateChanged] });
  await transport.admin().createTopics([{ topic: gates.name, partitions: 3 }]);
  return gates;
}

/** A gate.changed event as another producer writes it: CloudEvents binary mode, by hand. */
function kcatGate(topic: string, gateId: string, revision: number, id: string) {
  const at = new Date().toISOString();
  return kcatProduce(kafkaBrokers, {
    topic,
    key: gateId,
    value: JSON.stringify({ gateId, revision, at }),
    headers: [
      ['ce_specversion', '1.0'],
      ['ce_id', id],
      ['ce_source', 'urn:kcat'],
      ['ce_type', 'gate.changed'],
      ['ce_time', at],
      ['ce_entityversion', String(revision)],
      ['content-type', 'application/json'],
    ],
  });
}

async function until(probe: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('records of one entity from Inlet and from kcat', () => {
  it('are one entity to the version gate: an older revision from kcat is stale', async () => {
    const gates = await gatesTopic();
    const producer = createProducer({ transport });
    await producer.send(gates, {
      type: 'gate.changed',
      data: { gateId: 'o-gate', revision: 5, at: new Date().toISOString() },
    });
    await producer.close();
    await kcatGate(gates.name, 'o-gate', 3, 'kcat-rev-3');
    await kcatGate(gates.name, 'o-gate', 6, 'kcat-rev-6');
    const revisions: number[] = [];
    const consumer = createConsumer({
      transport,
      groupId: uniqueName('gate-versions'),
      topics: [gates],
      versionGate: { store: createMemoryVersionStore() },
      handle: async (event) => {
        revisions.push(event.data.revision);
        expect(event.key).toBe('o-gate');
      },
    });
    await consumer.start();
    try {
      await until(() => consumer.stats().handled + consumer.stats().stale === 3, 'three events');
      expect(revisions).toEqual([5, 6]);
      expect(consumer.stats().stale).toBe(1);
    } finally {
      await consumer.close();
    }
  }, 60_000);

  it('share one lane: never handled at the same time, and in offset order', async () => {
    const gates = await gatesTopic();
    const producer = createProducer({ transport });
    await producer.send(gates, {
      type: 'gate.changed',
      data: { gateId: 'o-lane', revision: 1, at: new Date().toISOString() },
    });
    await producer.close();
    await kcatGate(gates.name, 'o-lane', 2, 'kcat-lane-2');
    let running = 0;
    let mostAtOnce = 0;
    const order: number[] = [];
    const consumer = createConsumer({
      transport,
      groupId: uniqueName('gate-lanes'),
      topics: [gates],
      handle: async (event) => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setTimeout(resolve, 300));
        order.push(event.data.revision);
        running -= 1;
      },
    });
    await consumer.start();
    try {
      await until(() => consumer.stats().handled === 2, 'both events');
      expect(mostAtOnce).toBe(1);
      expect(order).toEqual([1, 2]);
    } finally {
      await consumer.close();
    }
  }, 60_000);
});
