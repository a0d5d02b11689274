import { type Channel, channel } from 'node:diagnostics_channel';
import { checkOptions, InletError, InletErrorCode, option } from '@inlet/core';
import {
  type Attributes,
  type Context,
  createTraceState,
  type Link,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** Options of {@link bindOpenTelemetryTracing}. */
export interface OpenTelemetryTracingOptions {
  /** `send <topic>` spans for the batches producers had acknowledged; default true. */
  readonly producer?: boolean;
  /** `process <topic>` spans for the events consumers handled, skipped as duplicates or stale; default true. */
  readonly consumer?: boolean;
  /** `<sink> write` spans for the batches sinks made visible; default true. */
  readonly sinks?: boolean;
  /**
   * The parent of a batch's span (`send`, sink `write`), which links to every event's trace
   * context anyway: the first event's context that has one (`first-event`, default), or none, so
   * that each batch span is the root of a trace of its own (`none`).
   */
  readonly batchParent?: 'first-event' | 'none';
}

/** Spans are recorded while bound; `close()` unsubscribes, and publishers are free again. */
export interface OpenTelemetryTracing extends Disposable {
  /** Idempotent. */
  close(): void;
}

type Message = Record<string, unknown>;

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The remote span context of a W3C `traceparent`; undefined when it does not parse. */
function spanContextOf(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = traceparentPattern.exec(traceparent);
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & 0xff,
    isRemote: true,
  };
  return typeof tracestate === 'string' && tracestate !== ''
    ? { ...context, traceState: createTraceState(tracestate) }
    : context;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
/** Kafka offsets travel as strings; attributes want numbers (exact up to 2^53). */
const offsetNumber = (value: unknown): number | undefined => {
  const offset = typeof value === 'string' && value !== '' ? Number(value) : num(value);
  return offset !== undefined && Number.isSafeInteger(offset) ? offset : undefined;
};

function setDefined(attributes: Attributes, key: string, value: string | number | undefined): void {
  if (value !== undefined) attributes[key] = value;
}

/** Milliseconds since the epoch, with the sub-millisecond part the SDK keeps. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function parentOf(spanContext: SpanContext | undefined): Context {
  return spanContext === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/**
 * The OpenTelemetry context an event's W3C trace context (`traceparent`, `tracestate`) stands
 * for: its producer-side span as the (remote) parent, or the root context when it carries none
 * or one that does not parse. For a handler's own spans: `context.with(eventTraceContext(event), ...)`,
 * or pass it to `tracer.startSpan` as the parent.
 */
export function eventTraceContext(event: {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}): Context {
  return parentOf(spanContextOf(event.traceparent, event.tracestate));
}

/** The sink's kind from its name (`postgres:orders` → `postgres`). */
function sinkKind(name: string): string {
  const colon = name.indexOf(':');
  return colon > 0 ? name.slice(0, colon) : name;
}

const dbSystems: Readonly<Record<string, string>> = {
  postgres: 'postgresql',
  redis: 'redis',
  duckdb: 'duckdb',
};

/** What one batch span links to: each event's trace context, and the first of them as parent. */
function linksOf(
  events: readonly unknown[],
  attributesOf: (event: Message) => Attributes,
): { links: Link[]; first: SpanContext | undefined } {
  const links: Link[] = [];
  let first: SpanContext | undefined;
  for (const event of events) {
    if (typeof event !== 'object' || event === null) continue;
    const message = event as Message;
    const context = spanContextOf(message.traceparent, message.tracestate);
    if (context === undefined) continue;
    first ??= context;
    links.push({ context, attributes: attributesOf(message) });
  }
  return { links, first };
}

/** The single value of a field across the events, or undefined when they differ or lack it. */
function common<T>(events: readonly unknown[], read: (event: Message) => T | undefined): T | undefined {
  let value: T | undefined;
  for (const event of events) {
    if (typeof event !== 'object' || event === null) return undefined;
    const current = read(event as Message);
    if (current === undefined || (value !== undefined && current !== value)) return undefined;
    value = current;
  }
  return value;
}

/**
 * Records Inlet's hops as OpenTelemetry spans, following the messaging semantic conventions:
 * `send <topic>` (PRODUCER) per acknowledged producer batch, `process <topic>` (CONSUMER) per
 * event a consumer handled, and `<sink> write` (CLIENT; INTERNAL for DuckDB) per batch a sink
 * made visible. It subscribes to the diagnostics channels of the producer, consumer and sinks
 * and makes each span when its hop has ended, with the hop's own start and end times.
 *
 * A `process` span is a child of the trace context the event carries (`traceparent`, stamped by
 * the producer from the span active at `send`), so producer and consumer share one trace; batch
 * spans link to each event's context. Publishers build their messages only while someone
 * listens, so nothing of this costs anything once closed, or before being bound.
 */
const tracingOptionShape = {
  producer: option.boolean(),
  consumer: option.boolean(),
  sinks: option.boolean(),
  batchParent: option.oneOf(['first-event', 'none']),
};

export function bindOpenTelemetryTracing(
  tracer: Tracer,
  options: OpenTelemetryTracingOptions = {},
): OpenTelemetryTracing {
  if (typeof (tracer as Partial<Tracer> | undefined)?.startSpan !== 'function') {
    throw new InletError(
      InletErrorCode.invalidOption,
      'bindOpenTelemetryTracing: tracer must be an OpenTelemetry Tracer (trace.getTracer(name))',
    );
  }
  checkOptions('bindOpenTelemetryTracing', options, tracingOptionShape);
  const parentBatches = (options.batchParent ?? 'first-event') === 'first-event';

  function batchParent(first: SpanContext | undefined): Context {
    return parentOf(parentBatches ? first : undefined);
  }

  function onBatchSent(message: Message): void {
    const events = Array.isArray(message.events) ? (message.events as unknown[]) : [];
    const end = nowMs();
    const start = end - Math.max(0, num(message.ackLatencyMs) ?? 0);
    const topic = common(events, (event) => text(event.topic));
    const partition = common(events, (event) => num(event.partition));
    const attributes: Attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
    };
    setDefined(attributes, 'messaging.destination.name', topic);
    setDefined(attributes, 'messaging.kafka.destination.partition', partition);
    setDefined(attributes, 'messaging.client.id', text(message.producerId));
    setDefined(attributes, 'inlet.producer.attempts', num(message.attempts));
    if (events.length === 1) {
      const only = events[0] as Message;
      setDefined(attributes, 'messaging.message.id', text(only.eventId));
      setDefined(attributes, 'messaging.kafka.message.offset', offsetNumber(only.offset));
    } else {
      attributes['messaging.batch.message_count'] = events.length;
    }
    const { links, first } = linksOf(events, (event) => {
      const linkAttributes: Attributes = {};
      setDefined(linkAttributes, 'messaging.message.id', text(event.eventId));
      if (topic === undefined) setDefined(linkAttributes, 'messaging.destination.name', text(event.topic));
      setDefined(linkAttributes, 'messaging.kafka.destination.partition', num(event.partition));
      setDefined(linkAttributes, 'messaging.kafka.message.offset', offsetNumber(event.offset));
      return linkAttributes;
    });
    tracer
      .startSpan(
        topic === undefined ? 'send' : `send ${topic}`,
        { kind: SpanKind.PRODUCER, startTime: start, links, attributes },
        batchParent(first),
      )
      .end(end);
  }

  function onProcessed(outcome: 'handled' | 'duplicate' | 'stale', message: Message): void {
    const end = nowMs();
    const start = end - Math.max(0, num(message.handlingMs) ?? 0);
    const topic = text(message.topic);
    const attributes: Attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'inlet.consumer.outcome': outcome,
    };
    setDefined(attributes, 'messaging.destination.name', topic);
    setDefined(attributes, 'messaging.kafka.destination.partition', num(message.partition));
    setDefined(attributes, 'messaging.kafka.message.offset', offsetNumber(message.offset));
    setDefined(attributes, 'messaging.consumer.group.name', text(message.groupId));
    setDefined(attributes, 'messaging.message.id', text(message.eventId));
    tracer
      .startSpan(
        topic === undefined ? 'process' : `process ${topic}`,
        { kind: SpanKind.CONSUMER, startTime: start, attributes },
        parentOf(spanContextOf(message.traceparent, message.tracestate)),
      )
      .end(end);
  }

  function onVisible(message: Message): void {
    const events = Array.isArray(message.events) ? (message.events as unknown[]) : [];
    const end = num(message.visibleAt) ?? nowMs();
    const start = end - Math.max(0, num(message.writeMs) ?? 0);
    const name = text(message.sink) ?? 'sink';
    const kind = sinkKind(name);
    const attributes: Attributes = {
      'messaging.system': 'kafka',
      'messaging.batch.message_count': events.length,
      'inlet.sink.name': name,
    };
    setDefined(attributes, 'db.system.name', dbSystems[kind]);
    setDefined(attributes, 'messaging.destination.name', text(message.topic));
    setDefined(attributes, 'messaging.kafka.destination.partition', num(message.partition));
    setDefined(attributes, 'messaging.consumer.group.name', text(message.groupId));
    setDefined(attributes, 'inlet.sink.rejected', num(message.rejected));
    const { links, first } = linksOf(events, (event) => {
      const linkAttributes: Attributes = {};
      setDefined(linkAttributes, 'messaging.message.id', text(event.eventId));
      setDefined(linkAttributes, 'messaging.kafka.message.offset', offsetNumber(event.offset));
      return linkAttributes;
    });
    tracer
      .startSpan(
        `${kind} write`,
        {
          kind: kind === 'duckdb' ? SpanKind.INTERNAL : SpanKind.CLIENT,
          startTime: start,
          links,
          attributes,
        },
        batchParent(first),
      )
      .end(end);
  }

  const handlers: Record<string, (message: Message) => void> = {};
  if (options.producer ?? true) handlers['inlet:producer:batch-sent'] = onBatchSent;
  if (options.consumer ?? true) {
    handlers['inlet:consumer:handled'] = (message) => onProcessed('handled', message);
    handlers['inlet:consumer:duplicate'] = (message) => onProcessed('duplicate', message);
    handlers['inlet:consumer:stale'] = (message) => onProcessed('stale', message);
  }
  if (options.sinks ?? true) handlers['inlet:sink:visible'] = onVisible;

  const subscriptions: { channel: Channel; listener: (message: unknown) => void }[] = [];
  for (const [name, handle] of Object.entries(handlers)) {
    const listener = (message: unknown) => {
      if (typeof message !== 'object' || message === null) return;
      // A subscriber's exception would surface as an uncaught one in the publisher's process:
      // a span that cannot be made is dropped instead.
      try {
        handle(message as Message);
      } catch {}
    };
    const subscribed = channel(name);
    subscribed.subscribe(listener);
    subscriptions.push({ channel: subscribed, listener });
  }

  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const { channel: subscribed, listener } of subscriptions) subscribed.unsubscribe(listener);
  };
  return { close, [Symbol.dispose]: close };
}
