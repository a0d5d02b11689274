import { testEnvironment, uniqueName } from '@inlet/test-support';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaJsTransport } from './kafkajs-transport';

const brokers = [...testEnvironment().kafkaBrokers];
const transport = createKafkaJsTransport({ brokers, clientId: 'idle-request-queue-test' });
afterAll(() => transport.close());

const prototype = (RequestQueue as { prototype: Record<string, (...args: unknown[]) => unknown> }).prototype;
const looks = { count: 0 };
const check = prototype.checkPendingRequests as (...args: unknown[]) => unknown;
beforeAll(() => {
  prototype.checkPendingRequests = function counted(...args: unknown[]) {
    looks.count++;
    return check.apply(this, args);
  };
});
afterAll(() => {
  prototype.checkPendingRequests = check;
});

describe('kafkajs connections of a transport', () => {
  it('sleep while idle: the request queue is not looked at every millisecond', async () => {
    const topic = uniqueName('idle-queue');
    const admin = transport.admin();
    await admin.createTopics([{ topic, partitions: 3 }]);
    await admin.close();
    const producer = transport.producer();
    // Requests queue behind each other (acknowledgements all round), and every one is answered.
    await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        producer.send([{ topic, partition: index % 3, key: null, value: Buffer.from(String(index)) }]),
      ),
    );
    looks.count = 0;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const idleLooks = looks.count;
    await producer.close();
    const check = transport.admin();
    const ends = await check.topicOffsets(topic);
    await check.close();
    expect(ends.reduce((sum, { high }) => sum + Number(high), 0)).toBe(60);
    // Unfixed, each open connection looks about once a millisecond: hundreds in 500 ms.
    expect(idleLooks).toBeLessThan(20);
  });
});
