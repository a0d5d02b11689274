import { consumerChannels, type EventOutcomeMessage } from '@inlet/consumer';
import { type BatchSentMessage, producerChannels } from '@inlet/producer';
import { type SinkVisibleMessage, sinkChannels } from '@inlet/sinks';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindOpenTelemetryTracing, eventTraceContext } from './open-telemetry-tracing';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const producerSpanId = '00f067aa0ba902b7';
const traceparent = `00-${traceId}-${producerSpanId}-01`;
const otherTraceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let exporter: InMemorySpanExporter;
let provider: TracerProvider;
beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
});
afterEach(async () => {
  await provider.shutdown();
});

function handled(overrides: Partial<EventOutcomeMessage> = {}): EventOutcomeMessage {
  return {
    groupId: 'billing',
    topic: 'orders',
    partition: 2,
    offset: '41',
    eventId: 'evt-1',
    freshnessMs: 12,
    handlingMs: 25,
    traceparent,
    tracestate: 'vendor=abc',
    ...overrides,
  };
}

function sent(overrides: Partial<BatchSentMessage> = {}): BatchSentMessage {
  return {
    producerId: 'producer-1',
    records: 2,
    bytes: 100,
    ackLatencyMs: 8,
    queueLatencyMs: 10,
    attempts: 1,
    ackedAt: 2_000,
    events: [
      { topic: 'orders', partition: 2, offset: '41', eventId: 'evt-1', traceparent, eventTime: 1_000 },
      {
        topic: 'orders',
        partition: 2,
        offset: '42',
        eventId: 'evt-2',
        traceparent: otherTraceparent,
        eventTime: 1_000,
      },
    ],
    ...overrides,
  };
}

function visible(overrides: Partial<SinkVisibleMessage> = {}): SinkVisibleMessage {
  return {
    sink: 'postgres:public.orders',
    groupId: 'billing',
    topic: 'orders',
    partition: 2,
    visibleAt: Date.now(),
    writeMs: 5,
    events: [
      { offset: '41', eventTime: 1, eventId: 'evt-1', traceparent, tracestate: undefined },
      { offset: '42', eventTime: 2, eventId: 'evt-2', traceparent: otherTraceparent, tracestate: undefined },
      { offset: '43', eventTime: 3, eventId: 'evt-3', traceparent: undefined, tracestate: undefined },
    ],
    rejected: 1,
    ...overrides,
  };
}

const durationMs = ([seconds, nanos]: [number, number]) => seconds * 1000 + nanos / 1e6;

describe('bindOpenTelemetryTracing', () => {
  it('subscribes only while bound, so that publishers build nothing otherwise', () => {
    const channels = [
      producerChannels.batchSent,
      consumerChannels.handled,
      consumerChannels.duplicate,
      consumerChannels.stale,
      sinkChannels.visible,
    ];
    expect(channels.map((one) => one.hasSubscribers)).toEqual([false, false, false, false, false]);
    const tracing = bindOpenTelemetryTracing(provider.getTracer('test'));
    expect(channels.map((one) => one.hasSubscribers)).toEqual([true, true, true, true, true]);
    tracing.close();
    tracing.close();
    expect(channels.map((one) => one.hasSubscribers)).toEqual([false, false, false, false, false]);
    consumerChannels.handled.publish(handled());
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('subscribes to the hops asked for only', () => {
    using _tracing = bindOpenTelemetryTracing(provider.getTracer('test'), { producer: false, sinks: false });
    expect(producerChannels.batchSent.hasSubscribers).toBe(false);
    expect(sinkChannels.visible.hasSubscribers).toBe(false);
    expect(consumerChannels.handled.hasSubscribers).toBe(true);
  });

  it('records a handled event as a process span, child of the trace context it carries', () => {
    using _tracing = bindOpenTelemetryTracing(provider.getTracer('test'));
    const before = Date.now();
    consumerChannels.handled.publish(handled());
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('process orders');
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe(producerSpanId);
    expect(span?.parentSpanContext?.isRemote).toBe(true);
    expect(span?.parentSpanContext?.traceState?.get('vendor')).toBe('abc');
    expect(span?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'inlet.consumer.outcome': 'handled',
      'messaging.destination.name': 'orders',
      'messaging.kafka.destination.partition': 2,
      'messaging.kafka.message.offset': 41,
      'messaging.consumer.group.name': 'billing',
      'messaging.message.id': 'evt-1',
    });
    // Made after the fact: it starts handlingMs before it ends, the end being the publication.
    expect(durationMs(span?.duration as [number, number])).toBeCloseTo(25, 0);
    const endMs = durationMs(span?.endTime as [number, number]);
    expect(endMs).toBeGreaterThanOrEqual(before - 1);
    expect(endMs).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('says which outcome a process span had, and starts a trace of its own without a valid context', () => {
    using _tracing = bindOpenTelemetryTracing(provider.getTracer('test'));
    consumerChannels.duplicate.publish(handled({ traceparent: undefined, tracestate: undefined }));
    consumerChannels.stale.publish(handled({ traceparent: `00-${'0'.repeat(32)}-${producerSpanId}-01` }));
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.attributes['inlet.consumer.outcome'])).toEqual(['duplicate', 'stale']);
    for (const span of spans) {
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.spanContext().traceId).not.toBe(traceId);
    }
  });

  it('ignores the context active where the message is published', () => {
    const tracer = provider.getTracer('test');
    using _tracing = bindOpenTelemetryTracing(tracer);
    const ambient = tracer.startSpan('ambient');
    context.with(trace.setSpan(context.active(), ambient), () =>
      consumerChannels.handled.publish(handled({ traceparent: undefined })),
    );
    ambient.end();
    const process = exporter.getFinishedSpans().find((span) => span.name === 'process orders');
    expect(process?.parentSpanContext).toBeUndefined();
  });

  it('records an acknowledged producer batch as a send span linked to each event', () => {
    using _tracing = bindOpenTelemetryTracing(provider.getTracer('test'));
    producerChannels.batchSent.publish(sent());
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('send orders');
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders',
      'messaging.kafka.destination.partition': 2,
      'messaging.batch.message_count': 2,
      'messaging.client.id': 'producer-1',
    });
    expect(span?.parentSpanContext?.spanId).toBe(producerSpanId);
    expect(span?.links.map((link) => [link.context.spanId, link.attributes])).toEqual([
      [
        producerSpanId,
        {
          'messaging.message.id': 'evt-1',
          'messaging.kafka.destination.partition': 2,
          'messaging.kafka.message.offset': 41,
        },
      ],
      [
        'b7ad6b7169203331',
        {
          'messaging.message.id': 'evt-2',
          'messaging.kafka.destination.partition': 2,
          'messaging.kafka.message.offset': 42,
        },
      ],
    ]);
    expect(durationMs(span?.duration as [number, number])).toBeCloseTo(8, 0);
  });

  it('names a send span of one event by its message, and of several topics by the operation alone', () => {
    using _tracing = bindOpenTelemetryTracing(provider.getTracer('test'));
    producerChannels.batchSent.publish(
      sent({
        records: 1,
        events: [
          {
            topic: 'orders',
            partition: 0,
            offset: '7',
            eventId: 'evt-9',
            traceparent: undefined,
            eventTime: 1_000,
          },
        ],
      }),
    );
    producerChannels.batchSent.publish(
      sent({
        events: [
          { topic: 'orders', partition: 0, offset: '8', eventId: 'a', traceparent, eventTime: 1_000 },
          { topic: 'payments', partition: 1, offset: '3', eventId: 'b', traceparent, eventTime: 1_000 },
        ],
      }),
    );
    const [one, mixed] = exporter.getFinishedSpans();
    expect(one?.name).toBe('send orders');
    expect(one?.attributes['messaging.message.id']).toBe('evt-9');
    expect(one?.attributes['messaging.kafka.message.offset']).toBe(7);
    expect(one?.links).toEqual([]);
    expect(one?.parentSpanContext).toBeUndefined();
    expect(mixed?.name).toBe('send');
    expect(mixed?.attributes['messaging.destination.name']).toBeUndefined();
    expect(mixed?.links.map((link) => link.attributes?.['messaging.destination.name'])).toEqual([
      'orders',
      'payments',
    ]);
  });

  it('records a visible sink batch as a write span of the sink kind, linked to each traced event', () => {
    using _tracing = bindOpenTelemetryTracing(provider.getTracer('test'));
    const message = visible();
    sinkChannels.visible.publish(message);
    sinkChannels.visible.publish(visible({ sink: 'duckdb:events', events: [] }));
    const [write, duckdb] = exporter.getFinishedSpans();
    expect(write?.name).toBe('postgres write');
    expect(write?.kind).toBe(SpanKind.CLIENT);
    expect(write?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.batch.message_count': 3,
      'inlet.sink.name': 'postgres:public.orders',
      'db.system.name': 'postgresql',
      'messaging.destination.name': 'orders',
      'messaging.kafka.destination.partition': 2,
      'messaging.consumer.group.name': 'billing',
      'inlet.sink.rejected': 1,
    });
    expect(write?.parentSpanContext?.spanId).toBe(producerSpanId);
    expect(write?.spanContext().traceId).toBe(traceId);
    expect(write?.links.map((link) => [link.context.traceId, link.attributes])).toEqual([
      [traceId, { 'messaging.message.id': 'evt-1', 'messaging.kafka.message.offset': 41 }],
      [
        '0af7651916cd43dd8448eb211c80319c',
        { 'messaging.message.id': 'evt-2', 'messaging.kafka.message.offset': 42 },
      ],
    ]);
    expect(durationMs(write?.endTime as [number, number])).toBeCloseTo(message.visibleAt, -1);
    expect(durationMs(write?.duration as [number, number])).toBeCloseTo(5, 0);
    expect(duckdb?.name).toBe('duckdb write');
    expect(duckdb?.kind).toBe(SpanKind.INTERNAL);
    expect(duckdb?.parentSpanContext).toBeUndefined();
  });

  it("makes batch spans roots of their own with batchParent 'none', keeping the links", () => {
    using _tracing = bindOpenTelemetryTracing(provider.getTracer('test'), { batchParent: 'none' });
    sinkChannels.visible.publish(visible());
    producerChannels.batchSent.publish(sent());
    for (const span of exporter.getFinishedSpans()) {
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.spanContext().traceId).not.toBe(traceId);
      expect(span.links).toHaveLength(2);
    }
  });

  it('drops what it cannot read instead of throwing in the publisher', () => {
    using _tracing = bindOpenTelemetryTracing(provider.getTracer('test'));
    for (const garbage of [null, 'text', 42, { events: 'no' }, { events: [null, 3] }]) {
      expect(() => sinkChannels.visible.publish(garbage)).not.toThrow();
      expect(() => producerChannels.batchSent.publish(garbage)).not.toThrow();
      expect(() => consumerChannels.handled.publish(garbage)).not.toThrow();
    }
    for (const span of exporter.getFinishedSpans()) expect(span.ended).toBe(true);
  });
});

describe('eventTraceContext', () => {
  it("is the event's producer-side span as remote parent, or the root context", () => {
    const tracer = provider.getTracer('test');
    const child = tracer.startSpan('handler work', {}, eventTraceContext({ traceparent }));
    child.end();
    expect(child.spanContext().traceId).toBe(traceId);
    expect(trace.getSpanContext(eventTraceContext({ traceparent: 'nonsense' }))).toBeUndefined();
    expect(trace.getSpanContext(eventTraceContext({}))).toBeUndefined();
    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanContext?.spanId).toBe(producerSpanId);
  });

  it('refuses a tracer that is none, an unknown option, a typo and a wrong type, at the call', () => {
    const tracer = provider.getTracer('test');
    expect(() => bindOpenTelemetryTracing({} as never)).toThrow(/tracer must be an OpenTelemetry Tracer/);
    for (const options of [{ producers: true }, { sinks: 'yes' }, { batchParent: 'first' }])
      expect(() => bindOpenTelemetryTracing(tracer, options as never)).toThrow(
        expect.objectContaining({ code: 'INLET_INVALID_OPTION' }),
      );
    expect(producerChannels.batchSent.hasSubscribers).toBe(false);
  });
});
