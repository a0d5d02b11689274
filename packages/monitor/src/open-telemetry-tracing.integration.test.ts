import { defineEvent, defineTopic, jsonSchema, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { createPipeline } from '@inlet/sinks';
import { createPostgresSink } from '@inlet/sinks/postgres';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindOpenTelemetryTracing } from './open-telemetry-tracing';

// Producer → Kafka → consumer → PostgreSQL with tracing bound: one trace from the span active at
// `send` to the consumer's process spans and the sink's write.

const environment = testEnvironment();
let transport: KafkaTransport;
let pool: pg.Pool;
let contextManager: AsyncLocalStorageContextManager;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'monitor-tracing' });
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  // The producer reads the active span through the API: without a context manager there is none.
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
});
afterAll(async () => {
  context.disable();
  await transport.close();
  await pool.end();
});

const OrderPlaced = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { orderId: { type: 'string' }, total: { type: 'number' }, at: { type: 'string' } },
    required: ['orderId', 'total', 'at'],
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.at,
});

describe('OpenTelemetry tracing on a real broker and database', () => {
  it('puts the producer-side span, the process spans and the sink write in one trace', async () => {
    const topic = defineTopic({ name: uniqueName('tracing-orders'), events: [OrderPlaced], partitions: 1 });
    await transport.admin().createTopics([{ topic: topic.name, partitions: 1 }]);
    const table = uniqueName('tracing_orders').replaceAll('-', '_');
    const groupId = uniqueName('tracing-group');
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('inlet-integration');
    const tracing = bindOpenTelemetryTracing(tracer);
    try {
      const producer = createProducer({ transport });
      const sent = await tracer.startActiveSpan('place orders', { kind: SpanKind.SERVER }, async (span) => {
        try {
          return await producer.sendBatch(
            topic,
            ['o-1', 'o-2', 'o-3'].map((orderId, index) => ({
              type: 'order.placed' as const,
              data: { orderId, total: index + 1, at: new Date().toISOString() },
            })),
          );
        } finally {
          span.end();
        }
      });
      await producer.close();
      const pipeline = createPipeline({
        transport,
        groupId,
        topics: [topic],
        sink: createPostgresSink({ pool, table, topics: [topic], ensureTable: true }),
      });
      try {
        await pipeline.start();
        await pipeline.caughtUp({ timeoutMs: 60_000 });
      } finally {
        await pipeline.close();
      }
      const { rows } = await pool.query(`select key from ${table} order by key`);
      expect(rows.map((row) => row.key)).toEqual(['o-1', 'o-2', 'o-3']);

      const spans = exporter.getFinishedSpans();
      const root = spans.find((span) => span.name === 'place orders');
      expect(root).toBeDefined();
      const { traceId, spanId: rootSpanId } = root?.spanContext() ?? { traceId: '', spanId: '' };
      const inTrace = spans.filter((span) => span.spanContext().traceId === traceId);

      const send = inTrace.filter((span) => span.name === `send ${topic.name}`);
      expect(send.length).toBeGreaterThanOrEqual(1);
      for (const span of send) {
        expect(span.kind).toBe(SpanKind.PRODUCER);
        expect(span.parentSpanContext?.spanId).toBe(rootSpanId);
      }
      expect(
        send.flatMap((span) => span.links.map((link) => link.attributes?.['messaging.message.id'])),
      ).toEqual(sent.map((result) => result.id));

      const processed = inTrace.filter((span) => span.name === `process ${topic.name}`);
      expect(processed.map((span) => span.attributes['messaging.message.id']).sort()).toEqual(
        sent.map((result) => result.id).sort(),
      );
      for (const span of processed) {
        expect(span.kind).toBe(SpanKind.CONSUMER);
        expect(span.parentSpanContext?.spanId).toBe(rootSpanId);
        expect(span.attributes).toMatchObject({
          'messaging.system': 'kafka',
          'messaging.destination.name': topic.name,
          'messaging.kafka.destination.partition': 0,
          'messaging.consumer.group.name': groupId,
        });
        expect(typeof span.attributes['messaging.kafka.message.offset']).toBe('number');
      }

      const writes = inTrace.filter((span) => span.name === 'postgres write');
      expect(writes.length).toBeGreaterThanOrEqual(1);
      const linked = writes.flatMap((span) => span.links);
      expect(linked.map((link) => link.attributes?.['messaging.message.id']).sort()).toEqual(
        sent.map((result) => result.id).sort(),
      );
      for (const link of linked) expect(link.context.spanId).toBe(rootSpanId);
      for (const span of writes) {
        expect(span.kind).toBe(SpanKind.CLIENT);
        expect(span.attributes['db.system.name']).toBe('postgresql');
      }
      // Each hop starts after the one before it began, and the write ends after the processing.
      const startMs = (span: { startTime: [number, number] }) =>
        span.startTime[0] * 1000 + span.startTime[1] / 1e6;
      const endMs = (span: { endTime: [number, number] }) => span.endTime[0] * 1000 + span.endTime[1] / 1e6;
      const firstSend = Math.min(...send.map(startMs));
      expect(Math.min(...processed.map(startMs))).toBeGreaterThanOrEqual(firstSend);
      expect(Math.max(...writes.map(endMs))).toBeGreaterThanOrEqual(Math.min(...processed.map(endMs)) - 1);
    } finally {
      tracing.close();
      await provider.shutdown();
      await pool.query(`drop table if exists ${table}`);
    }
  }, 90_000);
});
