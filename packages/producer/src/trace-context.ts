import { isSpanContextValid, trace } from '@opentelemetry/api';

export interface TraceContext {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * The W3C trace context of the active OpenTelemetry span, if an OpenTelemetry SDK is set up and
 * a span is active; nothing otherwise (the API alone is a no-op).
 */
const noTraceContext: TraceContext = Object.freeze({});

export function activeTraceContext(): TraceContext {
  const span = trace.getActiveSpan();
  if (span === undefined) return noTraceContext;
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return noTraceContext;
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${context.traceId}-${context.spanId}-${flags}`;
  const tracestate = context.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}
