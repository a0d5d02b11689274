import { DeadLetterHeader } from '@inlet/consumer';
import {
  createEvent,
  defineEvent,
  defineTopic,
  InletErrorCode,
  jsonSchema,
  type KafkaTransport,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../pipeline';
import type { SinkBatch, SinkChange } from '../sink';
import { type ContractEvent, ContractItem, contractTopic, describeSinkContract } from '../sink-contract';
import { type SinkRetryMessage, sinkChannels } from '../sink-diagnostics';
import {
  startWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from './webhook-receiver.test-support';
import { createWebhookSink } from './webhook-sink';
import type { WebhookSinkOptions } from './webhook-sink-options';

// The webhook sink against a real HTTP server on a port of its own, and through pipelines on a
// real broker.

const receivers: WebhookReceiver[] = [];
async function receiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(options);
  receivers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((each) => each.close()));
});

describeSinkContract('webhook', {
  async create() {
    const target = await startWebhookReceiver({
      refuse: (event) =>
        'data' in event && (event.data as { value?: unknown }).value === 'refused'
          ? 'value "refused" is not allowed'
          : undefined,
    });
    const sink = createWebhookSink({ url: target.url, topics: [contractTopic] });
    return {
      sink,
      async read() {
        return new Map(
          [...target.entities].map(([id, entity]) => [
            id,
            {
              revision: entity.entityVersion,
              value: (entity.data as { value?: string } | undefined)?.value,
              deleted: entity.deleted,
            },
          ]),
        );
      },
      cleanup: () => target.close(),
    };
  },
  refusedItem: (id) => ({ id, revision: 1, value: 'refused' }),
});

let offset = 0;
function item(id: string, revision: number, value = `${id}@${revision}`): SinkChange<ContractEvent> {
  const event = createEvent(ContractItem, { id, revision, value }, { source: 'urn:test' }) as ContractEvent;
  return { kind: 'upsert', event, key: id, entityVersion: revision, offset: String(offset++) };
}
function batchOf(changes: readonly SinkChange<ContractEvent>[]): SinkBatch<ContractEvent> {
  return {
    groupId: 'webhook-test',
    topic: contractTopic.name,
    partition: 0,
    changes,
    nextOffset: String(Number(changes.at(-1)?.offset ?? 0) + 1),
  };
}
const signal = new AbortController().signal;

function sinkFor(
  target: WebhookReceiver,
  options: Partial<WebhookSinkOptions<[typeof contractTopic], ContractEvent>> = {},
) {
  return createWebhookSink({ url: target.url, topics: [contractTopic], ...options });
}

describe('the webhook sink against a real HTTP server', () => {
  it('sends the default body with an idempotency key and the given headers', async () => {
    const target = await receiver();
    const sink = sinkFor(target, { headers: { authorization: 'Bearer t0ken' } });
    try {
      await sink.write(batchOf([item('a', 1), item('b', 2)]), { signal });
      const [request] = target.requests;
      expect(request?.headers.authorization).toBe('Bearer t0ken');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.idempotencyKey).toMatch(/^[0-9a-f]{40}$/);
      expect(request?.body).toMatchObject({
        topic: contractTopic.name,
        partition: 0,
        events: [
          { type: 'contract.item', key: 'a', entityVersion: 1, data: { id: 'a', revision: 1, value: 'a@1' } },
          { type: 'contract.item', key: 'b', entityVersion: 2 },
        ],
      });
    } finally {
      await sink.close();
    }
  });

  it('splits a batch into requests of maxEventsPerRequest, each with its own key', async () => {
    const target = await receiver();
    const sink = sinkFor(target, { maxEventsPerRequest: 2 });
    try {
      await sink.write(batchOf(['a', 'b', 'c', 'd', 'e'].map((id) => item(id, 1))), { signal });
      expect(target.requests.map((request) => request.body?.events.length)).toEqual([2, 2, 1]);
      expect(new Set(target.requests.map((request) => request.idempotencyKey)).size).toBe(3);
      expect(target.entities.size).toBe(5);
    } finally {
      await sink.close();
    }
  });

  it('retries a request the server never answers, with the same key', async () => {
    const target = await receiver({ answer: (_, index) => (index === 0 ? 'hang' : undefined) });
    const sink = sinkFor(target, { timeoutMs: 300, retry: { retries: 2, minDelayMs: 10, maxDelayMs: 50 } });
    try {
      await sink.write(batchOf([item('a', 1)]), { signal });
      expect(target.requests).toHaveLength(2);
      expect(target.requests[1]?.idempotencyKey).toBe(target.requests[0]?.idempotencyKey);
      expect((target.requests[1]?.at ?? 0) - (target.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(290);
      expect(target.entities.get('a')?.entityVersion).toBe(1);
    } finally {
      await sink.close();
    }
  });

  it('fails retryably past its retries, so that the pipeline retries', async () => {
    const target = await receiver({ answer: () => 'hang' });
    const sink = sinkFor(target, { timeoutMs: 200, retry: { retries: 1, minDelayMs: 10, maxDelayMs: 10 } });
    try {
      await expect(sink.write(batchOf([item('a', 1)]), { signal })).rejects.toMatchObject({
        code: 'INLET_WEBHOOK_UNAVAILABLE',
        retryable: true,
      });
      expect(target.requests).toHaveLength(2);
    } finally {
      await sink.close();
    }
  });

  it('rejects the changes of a 4xx with its status and body, trying each alone first', async () => {
    const target = await receiver({
      refuse: (event) =>
        'data' in event && event.key === 'bad' ? `key ${event.key} is not allowed` : undefined,
    });
    const sink = sinkFor(target);
    try {
      const result = await sink.write(batchOf([item('a', 1), item('bad', 1), item('c', 1)]), { signal });
      expect(result?.rejected).toHaveLength(1);
      expect(result?.rejected?.[0]).toMatchObject({
        index: 1,
        error: { code: 'INLET_WEBHOOK_REJECTED', status: 400, responseBody: 'key bad is not allowed' },
      });
      expect([...target.entities.keys()].sort()).toEqual(['a', 'c']);
      // The batch, then each change alone.
      expect(target.requests.map((request) => request.body?.events.length)).toEqual([3, 1, 1, 1]);
    } finally {
      await sink.close();
    }
  });

  it('truncates a long response body in the reason', async () => {
    const target = await receiver({ answer: () => ({ status: 422, body: 'x'.repeat(5_000) }) });
    const sink = sinkFor(target);
    try {
      const result = await sink.write(batchOf([item('a', 1)]), { signal });
      const error = result?.rejected?.[0]?.error as { responseBody: string; status: number };
      expect(error.status).toBe(422);
      expect(error.responseBody).toHaveLength(1_000);
    } finally {
      await sink.close();
    }
  });

  it('opens the circuit after consecutive failures, fails fast, and closes it after a good probe', async () => {
    let healthy = false;
    const target = await receiver({ answer: () => (healthy ? undefined : { status: 500, body: 'down' }) });
    const sink = sinkFor(target, {
      retry: { retries: 0, minDelayMs: 0, maxDelayMs: 0 },
      circuitBreaker: { failureThreshold: 2, resetAfterMs: 400 },
    });
    try {
      for (let attempt = 0; attempt < 2; attempt += 1)
        await expect(sink.write(batchOf([item('a', 1)]), { signal })).rejects.toMatchObject({
          code: 'INLET_WEBHOOK_UNAVAILABLE',
        });
      expect(sink.circuitState()).toBe('open');
      // Open: nothing is sent; the write waits out the reset time, then fails retryably.
      const started = performance.now();
      await expect(sink.write(batchOf([item('a', 1)]), { signal })).rejects.toMatchObject({
        code: 'INLET_WEBHOOK_CIRCUIT_OPEN',
        retryable: true,
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(350);
      expect(target.requests).toHaveLength(2);
      expect(sink.circuitState()).toBe('half-open');
      // A failed probe opens it again.
      await expect(sink.write(batchOf([item('a', 1)]), { signal })).rejects.toMatchObject({
        code: 'INLET_WEBHOOK_UNAVAILABLE',
      });
      expect(sink.circuitState()).toBe('open');
      expect(target.requests).toHaveLength(3);
      await expect(sink.write(batchOf([item('a', 1)]), { signal })).rejects.toMatchObject({
        code: 'INLET_WEBHOOK_CIRCUIT_OPEN',
      });
      healthy = true;
      await sink.write(batchOf([item('a', 2)]), { signal });
      expect(sink.circuitState()).toBe('closed');
      expect(target.entities.get('a')?.entityVersion).toBe(2);
    } finally {
      await sink.close();
    }
  });

  it('stops waiting when the write is aborted', async () => {
    const target = await receiver({ answer: () => ({ status: 503, headers: { 'retry-after': '30' } }) });
    const sink = sinkFor(target, { retry: { retries: 5, minDelayMs: 10, maxDelayMs: 60_000 } });
    const controller = new AbortController();
    try {
      const writing = sink.write(batchOf([item('a', 1)]), { signal: controller.signal });
      await expect.poll(() => target.requests.length).toBe(1);
      const started = performance.now();
      controller.abort();
      await expect(writing).rejects.toMatchObject({ code: InletErrorCode.aborted });
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await sink.close();
    }
  });

  it('refuses wrong options when it is made', () => {
    expect(() => createWebhookSink({ url: 'ftp://x', topics: [contractTopic] })).toThrow(/url/);
    expect(() =>
      createWebhookSink({ url: 'http://x', topics: [contractTopic], timeoutMS: 5 } as never),
    ).toThrow(/timeoutMs/);
    expect(() =>
      createWebhookSink({ url: 'http://x', topics: [contractTopic], retry: { retries: -1 } }),
    ).toThrow(/retry\.retries/);
  });

  it('fails writes after close', async () => {
    const target = await receiver();
    const sink = sinkFor(target);
    await sink.close();
    await sink.close();
    await expect(sink.write(batchOf([item('a', 1)]), { signal })).rejects.toMatchObject({
      code: InletErrorCode.closed,
    });
  });
});

const Reading = defineEvent({
  type: 'meter.reading',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { meter: { type: 'string' }, seq: { type: 'integer' }, note: { type: 'string' } },
    required: ['meter', 'seq'],
    additionalProperties: false,
  }),
  key: (reading) => reading.meter,
  eventTime: () => new Date(),
  entityVersion: (reading) => reading.seq,
});

describe('webhook pipelines on a real broker', () => {
  const { kafkaBrokers } = testEnvironment();
  let transport: KafkaTransport;
  beforeAll(() => {
    transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'sinks-webhook' });
  });
  afterAll(async () => {
    await transport.close();
  });

  async function readingsTopic() {
    const topic = defineTopic({ name: uniqueName('webhook-readings'), events: [Reading] });
    await transport.admin().createTopics([
      { topic: topic.name, partitions: 1 },
      { topic: `${topic.name}.dlq`, partitions: 1 },
    ]);
    return topic;
  }

  async function send(
    topic: ReturnType<typeof defineTopic>,
    readings: { meter: string; seq: number; note?: string }[],
  ) {
    const producer = createProducer({ transport });
    try {
      await producer.sendBatch(
        topic,
        readings.map((data) => ({ type: 'meter.reading', data }) as never),
      );
    } finally {
      await producer.close();
    }
  }

  it('loses nothing through three 503s with Retry-After: 1, and waits as asked', async () => {
    const readings = await readingsTopic();
    await send(
      readings,
      Array.from({ length: 40 }, (_, meter) => ({ meter: `m-${meter}`, seq: 1 })),
    );
    const target = await receiver({
      answer: (_, index) => (index < 3 ? { status: 503, headers: { 'retry-after': '1' } } : undefined),
    });
    const retries: SinkRetryMessage[] = [];
    const onRetry = (message: unknown) => void retries.push(message as SinkRetryMessage);
    sinkChannels.retry.subscribe(onRetry);
    const pipeline = createPipeline({
      transport,
      groupId: uniqueName('webhook-503'),
      topics: [readings],
      sink: createWebhookSink({ url: target.url, topics: [readings] }),
      batching: { maxBatch: 100, lingerMs: 200 },
    });
    try {
      await pipeline.start();
      await pipeline.caughtUp({ timeoutMs: 60_000 });
      expect(target.entities.size).toBe(40);
      const [first, ...others] = target.requests;
      for (const [index, request] of others.slice(0, 3).entries()) {
        expect(request.idempotencyKey).toBe(first?.idempotencyKey);
        const previous = target.requests[index] as { at: number };
        expect(request.at - previous.at).toBeGreaterThanOrEqual(950);
        expect(request.at - previous.at).toBeLessThan(3_000);
      }
      expect(pipeline.stats()).toMatchObject({ written: 40, rejected: 0, writeRetries: 0 });
      // The sink's own retries are published like the pipeline's.
      expect(
        retries.filter((message) => message.topic === readings.name).map((message) => message.attempt),
      ).toEqual([1, 2, 3]);
    } finally {
      sinkChannels.retry.unsubscribe(onRetry);
      await pipeline.close();
    }
  }, 60_000);

  it('dead-letters an event the receiver refuses, with the reason, and lands the rest', async () => {
    const readings = await readingsTopic();
    await send(
      readings,
      Array.from({ length: 10 }, (_, meter) => ({
        meter: `m-${meter}`,
        seq: 1,
        ...(meter === 4 ? { note: 'poison' } : {}),
      })),
    );
    const target = await receiver({
      refuse: (event) =>
        'data' in event && (event.data as { note?: string }).note === 'poison'
          ? 'note "poison" is not accepted'
          : undefined,
    });
    const pipeline = createPipeline({
      transport,
      groupId: uniqueName('webhook-400'),
      topics: [readings],
      sink: createWebhookSink({ url: target.url, topics: [readings] }),
      batching: { maxBatch: 100, lingerMs: 200 },
    });
    const letters: { headers: Record<string, Buffer | null> }[] = [];
    const reader = transport.consumer({ groupId: uniqueName('webhook-dlq-reader') });
    try {
      await pipeline.start();
      await pipeline.caughtUp({ timeoutMs: 60_000 });
      expect([...target.entities.keys()].sort()).toEqual(
        Array.from({ length: 10 }, (_, meter) => `m-${meter}`)
          .filter((meter) => meter !== 'm-4')
          .sort(),
      );
      expect(pipeline.stats()).toMatchObject({ written: 9, rejected: 1 });
      await reader.subscribe([`${readings.name}.dlq`]);
      await reader.run({ onBatch: async (batch) => void letters.push(...batch.records) });
      await expect.poll(() => letters.length, { timeout: 30_000 }).toBe(1);
      const headers = letters[0]?.headers ?? {};
      expect(headers[DeadLetterHeader.errorCode]?.toString()).toBe('INLET_WEBHOOK_REJECTED');
      expect(headers[DeadLetterHeader.errorMessage]?.toString()).toContain('400');
      expect(headers[DeadLetterHeader.errorMessage]?.toString()).toContain('note "poison" is not accepted');
    } finally {
      await reader.close();
      await pipeline.close();
    }
  }, 60_000);
});
