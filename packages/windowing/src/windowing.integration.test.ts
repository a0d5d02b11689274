import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { kcatConsume, testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sum } from './aggregations';
import { tumbling } from './window-kinds';
import { createWindowing } from './windowing';
import {
  batchTumbling,
  minute,
  produceSales,
  readResults,
  recentMinute,
  type SaleRecord,
  salesTopic,
} from './windowing.test-support';

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'windowing-it' });
});
afterAll(() => transport.close());

const base = recentMinute();

function generatedSales(count: number, stores: number): SaleRecord[] {
  const sales: SaleRecord[] = [];
  for (let index = 0; index < count; index++) {
    // Mostly in order, some up to 20 s behind (within the allowed disorder).
    const jitter = index % 7 === 0 ? -((index * 7919) % 20_000) : 0;
    sales.push({
      store: `s${(index * 31) % stores}`,
      amount: (index % 13) + 1,
      at: base + index * 100 + jitter,
    });
  }
  // One far-future sale per partition would close every window; the idle timeout does instead.
  return sales;
}

describe('createWindowing on Kafka', () => {
  it.each([
    ['as they close', false, 'binary'],
    ['in the checkpoint transactions', true, 'binary'],
    ['as they close, in structured mode', false, 'structured'],
  ] as const)(
    'counts tumbling windows into a topic %s, equal to a batch computation',
    async (_, transactional, contentMode) => {
      const topic = salesTopic(uniqueName('win-sales'));
      const output = uniqueName('win-results');
      const sales = generatedSales(3_000, 40);
      await transport.admin().createTopics([{ topic: topic.name, partitions: 3 }]);
      await produceSales(transport, topic, sales);
      // Then one sale per store far ahead, so the windows of every partition close.
      const stores = [...new Set(sales.map((sale) => sale.store))];
      await produceSales(
        transport,
        topic,
        stores.map((store) => ({ store, amount: 0, at: base + 100 * minute })),
      );
      const windowing = createWindowing({
        transport,
        groupId: uniqueName('win-group'),
        topics: [topic],
        window: tumbling({ sizeMs: minute }),
        aggregation: sum((sale: { data: { amount: number } }) => sale.data.amount),
        outOfOrdernessMs: 30_000,
        output: { topic: output, transactional, contentMode },
      });
      await windowing.start();
      await windowing.caughtUp({ timeoutMs: 60_000 });
      const expected = new Map([...batchTumbling(sales, minute)].map(([id, { sum: total }]) => [id, total]));
      const results = await readResults(
        transport,
        output,
        windowing.stats().results + windowing.stats().retractions,
      );
      await windowing.close();
      expect(results).toEqual(expected);
      // As another reader sees the results: one header in structured mode, the envelope in the value.
      const [first] = await kcatConsume(kafkaBrokers, output, 1);
      if (contentMode === 'structured') {
        expect(first?.headers).toBe('content-type=application/cloudevents+json; charset=UTF-8');
        expect(JSON.parse(first?.value ?? '')).toMatchObject({ type: 'inlet.window.result', data: {} });
      } else {
        expect(first?.headers).toMatch(/ce_type=inlet\.window\.result/);
      }
      expect(windowing.stats().late.dropped).toBe(0);
    },
    120_000,
  );
});
