import { InletErrorCode, type OutgoingRecord } from '@inlet/core';
import type { Kafka, ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaJsProducer } from './kafkajs-producer';

const noRetry = { retries: 0, initialRetryTimeMs: 1, maxRetryTimeMs: 1 };

// A one-partition broker with the idempotent producer's duplicate check (a batch whose producer
// id and first sequence match the last one written is answered with that batch's offset and not
// written again), under kafkajs producers that number batches as kafkajs does: the sequence moves
// on when a request is built and moves back when it fails.
function idempotentBrokerModel() {
  const log: string[] = [];
  const lastBatch = new Map<number, { firstSequence: number; count: number; baseOffset: number }>();
  let producerIds = 0;
  let loseNextResponse = false;
  const events: string[] = [];

  function producer() {
    const producerId = ++producerIds;
    let sequence = 0;
    return {
      connect: async () => undefined,
      disconnect: async () => {
        events.push(`disconnect ${producerId}`);
      },
      async sendBatch(batch: ProducerBatch) {
        const values = (batch.topicMessages ?? []).flatMap((topic) =>
          topic.messages.map((m) => String(m.value)),
        );
        const firstSequence = sequence;
        sequence += values.length;
        events.push(`send ${producerId} seq ${firstSequence}: ${values.join(',')}`);
        const last = lastBatch.get(producerId);
        if (last !== undefined && last.firstSequence === firstSequence && last.count === values.length) {
          return [{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: String(last.baseOffset) }];
        }
        const baseOffset = log.length;
        log.push(...values);
        lastBatch.set(producerId, { firstSequence, count: values.length, baseOffset });
        if (loseNextResponse) {
          loseNextResponse = false;
          sequence = firstSequence;
          throw Object.assign(new Error('Connection closed'), { name: 'KafkaJSConnectionError' });
        }
        return [{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: String(baseOffset) }];
      },
    };
  }

  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicMetadata: async () => ({ topics: [{ name: 'orders', partitions: [{ partitionId: 0 }] }] }),
  };
  const kafka = { producer, admin: () => admin } as unknown as Kafka;
  return {
    kafka,
    log,
    events,
    loseNextResponse() {
      loseNextResponse = true;
    },
  };
}

const records = (...values: string[]): OutgoingRecord[] =>
  values.map((value) => ({ topic: 'orders', partition: 0, key: null, value: Buffer.from(value) }));

describe('kafkajs producer: sends whose outcome is unknown', () => {
  it('gives a different batch after a failed send a new producer id, so the broker cannot take it for a retry', async () => {
    const broker = idempotentBrokerModel();
    const producer = createKafkaJsProducer(broker.kafka, noRetry, { idempotent: true });
    broker.loseNextResponse();
    const lost = await producer.send(records('a', 'b')).catch((error: unknown) => error);
    expect(lost).toMatchObject({ code: InletErrorCode.kafkaConnection });

    const acks = await producer.send(records('c', 'd'));

    expect(acks.map((ack) => broker.log[Number(ack.offset)])).toEqual(['c', 'd']);
    expect(broker.log).toEqual(['a', 'b', 'c', 'd']);
    expect(broker.events).toContain('disconnect 1');
    await producer.close();
  });

  it('retries the same records under the same producer id, so the broker writes them once', async () => {
    const broker = idempotentBrokerModel();
    const producer = createKafkaJsProducer(broker.kafka, noRetry, { idempotent: true });
    const batch = records('a', 'b');
    broker.loseNextResponse();
    await expect(producer.send(batch)).rejects.toMatchObject({ code: InletErrorCode.kafkaConnection });

    const acks = await producer.send(batch);

    expect(acks.map((ack) => ack.offset)).toEqual(['0', '1']);
    expect(broker.log).toEqual(['a', 'b']);
    expect(broker.events.filter((event) => event.startsWith('send'))).toEqual([
      'send 1 seq 0: a,b',
      'send 1 seq 0: a,b',
    ]);
    await producer.close();
  });

  it('sends concurrent calls one after another, each under its own sequence numbers', async () => {
    const broker = idempotentBrokerModel();
    const producer = createKafkaJsProducer(broker.kafka, noRetry, { idempotent: true });
    broker.loseNextResponse();
    const [first, second] = await Promise.allSettled([
      producer.send(records('a', 'b')),
      producer.send(records('c', 'd')),
    ]);
    expect(first.status).toBe('rejected');
    expect(
      second.status === 'fulfilled' && second.value.map((ack) => broker.log[Number(ack.offset)]),
    ).toEqual(['c', 'd']);
    await producer.close();
  });

  it('never sends a queued send whose signal fired before its turn, and still sends one already under way', async () => {
    const broker = idempotentBrokerModel();
    const producer = createKafkaJsProducer(broker.kafka, noRetry, { idempotent: true });
    const underWay = new AbortController();
    const queued = new AbortController();
    const first = producer.send(records('a'), { signal: underWay.signal });
    const second = producer.send(records('b'), { signal: queued.signal });
    underWay.abort(new Error('caller gave up'));
    queued.abort(new Error('caller gave up'));
    await expect(first).rejects.toMatchObject({ code: InletErrorCode.aborted });
    await expect(second).rejects.toMatchObject({ code: InletErrorCode.aborted });
    await producer.close();
    expect(broker.log).toEqual(['a']);
  });
});

// kafkajs's answer to a metadata request for a topic the cluster does not have.
const unknownTopic = () =>
  Object.assign(new Error('This server does not host this topic-partition'), {
    name: 'KafkaJSProtocolError',
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    retriable: true,
  });

// A cluster that has only the topics it is told about, and creates those it is asked to.
function clusterWithTopics(...existing: string[]) {
  const topics = new Map(existing.map((name) => [name, 2]));
  const created: { topic: string; numPartitions?: number; replicationFactor?: number }[] = [];
  const written: string[] = [];
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicMetadata: async ({ topics: asked }: { topics: string[] }) => {
      const missing = asked.find((name) => !topics.has(name));
      if (missing !== undefined) throw unknownTopic();
      return {
        topics: asked.map((name) => ({
          name,
          partitions: Array.from({ length: topics.get(name) as number }, (_, partitionId) => ({
            partitionId,
            leader: 1,
          })),
        })),
      };
    },
    createTopics: async ({ topics: specs }: { topics: { topic: string; numPartitions?: number }[] }) => {
      for (const spec of specs) {
        created.push(spec);
        topics.set(
          spec.topic,
          spec.numPartitions === undefined || spec.numPartitions < 1 ? 1 : spec.numPartitions,
        );
      }
      return true;
    },
  };
  const producer = () => ({
    connect: async () => undefined,
    disconnect: async () => undefined,
    async sendBatch(batch: ProducerBatch) {
      return (batch.topicMessages ?? []).flatMap((topic) =>
        topic.messages.map((message, index) => {
          written.push(`${topic.topic}:${String(message.value)}`);
          return {
            topicName: topic.topic,
            partition: message.partition ?? 0,
            errorCode: 0,
            baseOffset: String(index),
          };
        }),
      );
    },
  });
  return { kafka: { producer, admin: () => admin } as unknown as Kafka, created, written };
}

const defaultRetry = { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 };

describe('kafkajs producer: topics that do not exist', () => {
  it('fails a send to a missing topic within moments, not retryable, naming the topic', async () => {
    const cluster = clusterWithTopics('orders');
    const producer = createKafkaJsProducer(cluster.kafka, defaultRetry, { idempotent: true });
    const started = Date.now();

    const error = await producer
      .send([{ topic: 'ordres', partition: 0, key: null, value: Buffer.from('a') }])
      .catch((failure: unknown) => failure);

    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toMatchObject({ code: InletErrorCode.kafkaUnknownTopic, retryable: false });
    expect((error as Error).message).toContain('"ordres"');
    expect(cluster.written).toEqual([]);
    await producer.close();
  });

  it('creates a missing topic with the broker defaults first when auto-creation was asked for', async () => {
    const cluster = clusterWithTopics();
    const producer = createKafkaJsProducer(
      cluster.kafka,
      defaultRetry,
      { idempotent: true },
      {
        autoCreateTopics: true,
      },
    );

    expect(await producer.partitionCount('fresh')).toBe(1);
    await producer.send([{ topic: 'other', key: Buffer.from('k'), value: Buffer.from('a') }]);

    expect(cluster.created.map((spec) => spec.topic)).toEqual(['fresh', 'other']);
    expect(cluster.created[0]).toMatchObject({ numPartitions: -1, replicationFactor: -1 });
    expect(cluster.written).toEqual(['other:a']);
    await producer.close();
  });
});

describe('kafkajs producer: a send abandoned while under way', () => {
  // kafkajs producers whose requests hang until released, like requests to a frozen broker.
  function hangingCluster({ thenWrite = false } = {}) {
    const events: string[] = [];
    const hanging: (() => void)[] = [];
    let producers = 0;
    const producer = () => {
      const id = ++producers;
      return {
        connect: async () => undefined,
        disconnect: async () => {
          events.push(`disconnect ${id}`);
        },
        async sendBatch(batch: ProducerBatch) {
          const values = (batch.topicMessages ?? []).flatMap((topic) =>
            topic.messages.map((m) => String(m.value)),
          );
          events.push(`send ${id}: ${values.join(',')}`);
          if (values.includes('hang')) {
            await new Promise<void>((resolve) => hanging.push(resolve));
            if (thenWrite) return [{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: '7' }];
            throw Object.assign(new Error('Request Produce timed out'), {
              name: 'KafkaJSRequestTimeoutError',
            });
          }
          return [{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: '0' }];
        },
      };
    };
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async () => ({
        topics: [{ name: 'orders', partitions: [{ partitionId: 0, leader: 1 }] }],
      }),
    };
    return {
      kafka: { producer, admin: () => admin } as unknown as Kafka,
      events,
      release: () => {
        for (const resolve of hanging.splice(0)) resolve();
      },
    };
  }

  it('lets the next send go at once under a new producer id, and disconnects the old one when its request ends', async () => {
    const cluster = hangingCluster();
    const producer = createKafkaJsProducer(cluster.kafka, noRetry, { idempotent: true });
    const abandon = new AbortController();
    const first = producer.send(records('hang'), { signal: abandon.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    abandon.abort(new Error('delivery timeout'));
    await expect(first).rejects.toMatchObject({ code: InletErrorCode.aborted });

    const next = await Promise.race([
      producer.send(records('next')).then(() => 'sent'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_000)),
    ]);

    expect(next).toBe('sent');
    expect(cluster.events).toEqual(['send 1: hang', 'send 2: next']);
    cluster.release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cluster.events).toContain('disconnect 1');
    await producer.close();
  });

  it('answers the same records sent again with the offsets of the write their caller abandoned', async () => {
    const cluster = hangingCluster({ thenWrite: true });
    const producer = createKafkaJsProducer(cluster.kafka, noRetry, { idempotent: true });
    const batch = records('hang');
    const abandon = new AbortController();
    const first = producer.send(batch, { signal: abandon.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    abandon.abort(new Error('delivery timeout'));
    await expect(first).rejects.toMatchObject({ code: InletErrorCode.aborted });

    const again = producer.send(batch);
    cluster.release();

    expect((await again).map((ack) => ack.offset)).toEqual(['7']);
    expect(cluster.events).toEqual(['send 1: hang']);
    await producer.close();
  });

  it('closes once a request its caller abandoned has ended, and disconnects then', async () => {
    const cluster = hangingCluster();
    const producer = createKafkaJsProducer(cluster.kafka, noRetry, { idempotent: true });
    const abandon = new AbortController();
    const first = producer.send(records('hang'), { signal: abandon.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    abandon.abort(new Error('closing'));
    await expect(first).rejects.toMatchObject({ code: InletErrorCode.aborted });

    const closing = producer.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cluster.events).not.toContain('disconnect 1');

    cluster.release();
    await closing;
    expect(cluster.events).toContain('disconnect 1');
  });
});

describe('kafkajs producer: a send abandoned before its request is made', () => {
  it('holds the next send back until that request is made, so one producer id never has two', async () => {
    const events: string[] = [];
    let producers = 0;
    let connected: () => void = () => undefined;
    const connecting = new Promise<void>((resolve) => {
      connected = resolve;
    });
    let overlapped = false;
    const producer = () => {
      const id = ++producers;
      let inFlight = 0;
      return {
        // The first producer id's connection hangs, as to a frozen broker.
        connect: () => (id === 1 ? connecting : Promise.resolve()),
        disconnect: async () => {
          events.push(`disconnect ${id}`);
        },
        async sendBatch(batch: ProducerBatch) {
          const values = (batch.topicMessages ?? []).flatMap((topic) =>
            topic.messages.map((m) => String(m.value)),
          );
          events.push(`send ${id}: ${values.join(',')}`);
          inFlight += 1;
          if (inFlight > 1) overlapped = true;
          await new Promise((resolve) => setTimeout(resolve, 20));
          inFlight -= 1;
          return [{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: '0' }];
        },
      };
    };
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async () => ({
        topics: [{ name: 'orders', partitions: [{ partitionId: 0, leader: 1 }] }],
      }),
    };
    const kafka = { producer, admin: () => admin } as unknown as Kafka;
    const transportProducer = createKafkaJsProducer(kafka, noRetry, { idempotent: true });
    const abandon = new AbortController();
    const first = transportProducer.send(records('first'), { signal: abandon.signal });
    abandon.abort(new Error('delivery timeout'));
    await expect(first).rejects.toMatchObject({ code: InletErrorCode.aborted });
    const second = transportProducer.send(records('second'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);

    connected();
    await second;

    expect(overlapped).toBe(false);
    expect(events.filter((event) => event.startsWith('send'))).toEqual(['send 1: first', 'send 2: second']);
    await transportProducer.close();
  });
});
