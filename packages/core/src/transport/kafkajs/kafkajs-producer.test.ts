import type { Kafka, ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { InletErrorCode } from '../../errors';
import type { OutgoingRecord } from '../transport';
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
