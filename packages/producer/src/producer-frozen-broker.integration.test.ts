import { ensureTopics, InletError, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { type DedicatedBroker, startDedicatedBroker, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersTopic, placed } from './fixtures/orders.fixture';
import { decodeAll, readTopic } from './fixtures/read-topic.fixture';
import { createProducer, type SendResult } from './producer';
import { SendFailedError } from './send-failed-error';

// A broker of this file's own, frozen with SIGSTOP: connections stay open and nothing answers,
// which is what a broker in a long pause looks like to a client. kafkajs keeps its defaults
// (30 s request timeout, 5 retries): the producer's delivery timeout must bound sends anyway.
let broker: DedicatedBroker;
let transport: KafkaTransport;

beforeAll(async () => {
  broker = await startDedicatedBroker('producer-frozen');
  transport = createKafkaJsTransport({ brokers: broker.brokers, clientId: 'producer-frozen' });
}, 120_000);
afterAll(async () => {
  await broker?.thaw();
  await transport?.close();
  await broker?.remove();
}, 180_000);

const deliveryTimeoutMs = 5_000;
// Two cores shared by the broker, the test and other test runs: a generous margin, still far
// below kafkajs's own 30 s request timeout that used to bound these sends.
const marginMs = 2_500;

interface Timed {
  readonly calledAt: number;
  settledAt?: number;
  result?: SendResult;
  error?: unknown;
}

function timed(calledAt: number, sending: Promise<SendResult>): Timed {
  const entry: Timed = { calledAt };
  sending.then(
    (result) => {
      entry.settledAt = Date.now();
      entry.result = result;
    },
    (error: unknown) => {
      entry.settledAt = Date.now();
      entry.error = error;
    },
  );
  return entry;
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('producer against a frozen broker', () => {
  it('settles every send by the delivery timeout, returns from close({ signal }) at the abort, and loses nothing it acknowledged', async () => {
    const orders = ordersTopic(uniqueName('frozen'));
    await ensureTopics(transport, [orders]);
    const producer = createProducer({
      transport,
      linger: { ms: 5, maxRecords: 5 },
      buffer: { maxRecords: 10 },
      retry: { deliveryTimeoutMs },
    });
    const acknowledged = new Set<string>();
    for (let sequence = 0; sequence < 20; sequence += 1) {
      acknowledged.add((await producer.send(orders, placed('warm-up', sequence))).id);
    }
    const sends: Timed[] = [];
    let closedAfterMs = Number.NaN;
    let closeSends: Timed[] = [];
    try {
      await broker.freeze();
      // Sends over two seconds: the first in flight, later ones queued or waiting for room.
      for (let round = 0; round < 10; round += 1) {
        for (let key = 0; key < 3; key += 1) {
          sends.push(timed(Date.now(), producer.send(orders, placed(`order-${key}`, round))));
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await waitUntil(() => sends.every((send) => send.settledAt !== undefined), 20_000);

      // Still frozen: close with a signal returns when it fires, failing what is left.
      closeSends = [0, 1, 2].map((key) =>
        timed(Date.now(), producer.send(orders, placed(`order-${key}`, 100))),
      );
      const closeStarted = Date.now();
      await producer.close({ signal: AbortSignal.timeout(1_000) });
      closedAfterMs = Date.now() - closeStarted;
      await waitUntil(() => closeSends.every((send) => send.settledAt !== undefined), 2_000);
    } finally {
      await broker.thaw();
    }

    for (const send of sends) {
      expect(send.settledAt, 'every send settled').toBeDefined();
      expect((send.settledAt as number) - send.calledAt).toBeLessThanOrEqual(deliveryTimeoutMs + marginMs);
      // Nothing is acknowledged by a frozen broker: each failed, as unknown or as never accepted.
      expect(
        InletError.hasCode(send.error, 'INLET_SEND_FAILED', 'INLET_BUFFER_FULL'),
        String(send.error),
      ).toBe(true);
    }
    expect(
      sends.some((send) => send.error instanceof SendFailedError && send.error.reason === 'delivery-timeout'),
    ).toBe(true);
    expect(closedAfterMs).toBeLessThan(1_000 + marginMs);
    for (const send of closeSends) {
      expect(send.settledAt).toBeDefined();
      const error = send.error as InletError;
      expect(
        error.code === 'INLET_CLOSED' || (error.cause as InletError | undefined)?.code === 'INLET_CLOSED',
      ).toBe(true);
    }

    // Thawed, the broker answers again: a new producer on the same transport gets through.
    const recovered = createProducer({ transport, retry: { deliveryTimeoutMs: 60_000 } });
    acknowledged.add((await recovered.send(orders, placed('after-thaw', 1))).id);
    await recovered.close();

    const unknown = new Set(
      [...sends, ...closeSends].flatMap((send) =>
        send.error instanceof SendFailedError ? send.error.eventIds : [],
      ),
    );
    const offsets = await transport.admin().topicOffsets(orders.name);
    const end = offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
    const records = await readTopic(broker.brokers, orders.name, (seen) => seen.length >= end, {
      timeoutMs: 60_000,
      settleMs: 1_000,
    });
    const counts = new Map<string, number>();
    for (const event of decodeAll(records, orders)) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
    for (const id of acknowledged) expect(counts.get(id), id).toBe(1);
    // A send abandoned at the delivery timeout may have been written after the thaw: once at most.
    for (const [id, count] of counts) {
      expect(acknowledged.has(id) || unknown.has(id), id).toBe(true);
      expect(count, id).toBe(1);
    }
  }, 180_000);
});
