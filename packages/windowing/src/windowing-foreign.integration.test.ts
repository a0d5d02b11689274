import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import {
  type ConsoleRecord,
  javaConsoleProduce,
  kcatProduce,
  testEnvironment,
  uniqueName,
} from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sum } from './aggregations';
import { tumbling } from './window-kinds';
import { createWindowing } from './windowing';
import {
  batchTumbling,
  closingSales,
  minute,
  produceSales,
  readResults,
  recentMinute,
  type SaleRecord,
  salesTopic,
} from './windowing.test-support';

// Sales written by other producers (kcat, librdkafka; the broker's console producer, the Java
// client) land in the same windows as Inlet's: keyed by the same entity key, in CloudEvents binary
// and structured mode; a copy of an event (same id) counts once; a record that cannot be decoded
// is dead-lettered and counts nowhere.

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'windowing-foreign-it' });
});
afterAll(() => transport.close());

const base = recentMinute();

function binaryModeSale(topic: string, id: string, sale: SaleRecord) {
  return kcatProduce(kafkaBrokers, {
    topic,
    key: sale.store,
    value: JSON.stringify(sale),
    headers: [
      ['ce_specversion', '1.0'],
      ['ce_id', id],
      ['ce_source', 'urn:kcat'],
      ['ce_type', 'sale.made'],
      ['ce_time', new Date(sale.at).toISOString()],
      ['content-type', 'application/json'],
    ],
  });
}

function structuredModeSale(topic: string, id: string, sale: SaleRecord) {
  return kcatProduce(kafkaBrokers, {
    topic,
    key: sale.store,
    value: JSON.stringify({
      specversion: '1.0',
      id,
      source: 'urn:kcat',
      type: 'sale.made',
      time: new Date(sale.at).toISOString(),
      datacontenttype: 'application/json',
      data: sale,
    }),
    headers: [['content-type', 'application/cloudevents+json']],
  });
}

/** The same sales as the Java client writes them: binary mode for even indexes, structured for odd. */
function javaSales(sales: readonly (readonly [string, SaleRecord])[]): ConsoleRecord[] {
  return sales.map(([id, sale], index) =>
    index % 2 === 0
      ? {
          key: sale.store,
          value: JSON.stringify(sale),
          headers: [
            ['ce_specversion', '1.0'],
            ['ce_id', id],
            ['ce_source', 'urn:java-console'],
            ['ce_type', 'sale.made'],
            ['ce_time', new Date(sale.at).toISOString()],
            ['content-type', 'application/json'],
          ],
        }
      : {
          key: sale.store,
          value: JSON.stringify({
            specversion: '1.0',
            id,
            source: 'urn:java-console',
            type: 'sale.made',
            time: new Date(sale.at).toISOString(),
            datacontenttype: 'application/json',
            data: sale,
          }),
          headers: [['content-type', 'application/cloudevents+json']],
        },
  );
}

describe('windowing records from another producer on Kafka', () => {
  it('puts kcat and Java client sales in the same windows as Inlet sales, counts a copy once, dead-letters bad bytes', async () => {
    const topic = salesTopic(uniqueName('foreign-sales'));
    const output = uniqueName('foreign-results');
    await transport.admin().createTopics([{ topic: topic.name, partitions: 3 }]);
    const stores = ['s0', 's1', 's2', 's3'];
    const inlet: SaleRecord[] = Array.from({ length: 200 }, (_, index) => ({
      store: stores[index % 4] as string,
      amount: (index % 7) + 1,
      at: base + index * 1_000,
    }));
    const foreign: SaleRecord[] = Array.from({ length: 12 }, (_, index) => ({
      store: stores[index % 4] as string,
      amount: 100 + index,
      at: base + 30_000 + index * 15_000,
    }));
    await produceSales(transport, topic, inlet);
    const fromJava: [string, SaleRecord][] = [];
    for (const [index, sale] of foreign.entries()) {
      const id = `foreign-sale-${index}`;
      if (index % 3 === 0) await binaryModeSale(topic.name, id, sale);
      else if (index % 3 === 1) await structuredModeSale(topic.name, id, sale);
      else fromJava.push([id, sale]);
    }
    await javaConsoleProduce(kafkaBrokers, topic.name, javaSales(fromJava));
    // The first foreign sale again, as a producer that retried would send it: the same id.
    await binaryModeSale(topic.name, 'foreign-sale-0', foreign[0] as SaleRecord);
    // Bytes that are no sale: its JSON is cut short.
    await kcatProduce(kafkaBrokers, {
      topic: topic.name,
      key: 's1',
      value: '{"store":"s1","amount":',
      headers: [
        ['ce_specversion', '1.0'],
        ['ce_id', 'kcat-broken'],
        ['ce_source', 'urn:kcat'],
        ['ce_type', 'sale.made'],
        ['ce_time', new Date(base + 60_000).toISOString()],
        ['content-type', 'application/json'],
      ],
    });
    await produceSales(transport, topic, closingSales([...inlet, ...foreign]));
    const windowing = createWindowing({
      transport,
      groupId: uniqueName('foreign-group'),
      topics: [topic],
      window: tumbling({ sizeMs: minute }),
      aggregation: sum((sale: { data: { amount: number } }) => sale.data.amount),
      outOfOrdernessMs: 10 * minute,
      output: { topic: output },
    });
    await windowing.start();
    try {
      await windowing.caughtUp({ timeoutMs: 60_000 });
      const stats = windowing.stats();
      // The copy is skipped once: by the consumer when it comes in the same fetch, by the state if later.
      expect(stats.duplicates + stats.consumer.duplicates).toBe(1);
      expect(stats.consumer.deadLettered).toBe(1);
      const results = await readResults(transport, output, stats.results + stats.retractions);
      const expected = new Map(
        [...batchTumbling([...inlet, ...foreign], minute)].map(([id, { sum: total }]) => [id, total]),
      );
      expect(results).toEqual(expected);
    } finally {
      await windowing.close();
    }
  }, 120_000);
});
