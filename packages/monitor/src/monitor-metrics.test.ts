import { channel } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createMetricsHandler } from './metrics-handler';
import { createMetrics } from './monitor-metrics';
import { bindOpenTelemetry } from './open-telemetry';

const handled = channel('inlet:consumer:handled');
const visible = channel('inlet:sink:visible');
const deadLettered = channel('inlet:consumer:dead-lettered');
const late = channel('inlet:windowing:late');
const batchSent = channel('inlet:producer:batch-sent');

function publishHandled(groupId: string, freshnessMs: number) {
  handled.publish({
    groupId,
    topic: 'orders',
    partition: 0,
    offset: '1',
    eventId: 'e',
    freshnessMs,
    handlingMs: 3,
  });
}

describe('createMetrics', () => {
  it('subscribes while open and unsubscribes on close', async () => {
    expect(handled.hasSubscribers).toBe(false);
    const metrics = createMetrics();
    expect(handled.hasSubscribers).toBe(true);
    await metrics.close();
    await metrics.close();
    expect(handled.hasSubscribers).toBe(false);
  });

  it('keeps throughput, freshness per hop, DLQ and late events from published diagnostics', async () => {
    const metrics = createMetrics({ flows: { 'g-1': 'orders-flow' }, now: () => 10_000 });
    for (const freshnessMs of [100, 200, 300, 400, 10_000]) publishHandled('g-1', freshnessMs);
    deadLettered.publish({
      groupId: 'g-1',
      topic: 'orders',
      partition: 0,
      offset: '9',
      deadLetterTopic: 'dlq',
      attempts: 3,
    });
    visible.publish({
      sink: 'pg',
      groupId: 'g-1',
      topic: 'orders',
      partition: 0,
      visibleAt: 5_000,
      writeMs: 20,
      events: [
        { offset: '1', eventTime: 4_000 },
        { offset: '2', eventTime: 4_500 },
      ],
      rejected: 0,
    });
    late.publish({ name: 'per-minute', outcome: 'dropped', partition: '0', key: 'k', time: 1 });
    batchSent.publish({
      producerId: 'p',
      records: 7,
      bytes: 100,
      ackLatencyMs: 4,
      queueLatencyMs: 9,
      attempts: 1,
      ackedAt: 9_000,
      events: [
        {
          topic: 'orders',
          partition: 0,
          offset: '1',
          eventId: 'a',
          traceparent: undefined,
          eventTime: 8_800,
        },
        {
          topic: 'orders',
          partition: 1,
          offset: '1',
          eventId: 'b',
          traceparent: undefined,
          eventTime: 8_000,
        },
      ],
    });

    expect(metrics.groupTotals('g-1')).toMatchObject({ handled: 5, deadLettered: 1 });
    expect(metrics.freshness('g-1')).toEqual({ p50Ms: 300, p99Ms: 10_000 });
    expect(metrics.freshness('g-1', 'visible')).toEqual({ p50Ms: 500, p99Ms: 1_000 });
    expect(metrics.freshness('unknown')).toEqual({ p50Ms: null, p99Ms: null });
    expect(metrics.producedFreshness('orders')).toEqual({ p50Ms: 200, p99Ms: 1_000 });
    expect(metrics.producedFreshness('payments')).toEqual({ p50Ms: null, p99Ms: null });
    expect(metrics.producerTotals()).toMatchObject({ batches: 1, records: 7 });

    const text = await metrics.metricsText();
    expect(text).toContain('# TYPE inlet_consumer_events_handled_total counter');
    expect(text).toContain(
      'inlet_consumer_events_handled_total{flow="orders-flow",group="g-1",topic="orders"} 5',
    );
    expect(text).toContain(
      'inlet_consumer_dead_lettered_total{flow="orders-flow",group="g-1",topic="orders"} 1',
    );
    expect(text).toContain('# TYPE inlet_freshness_seconds histogram');
    expect(text).toContain(
      'inlet_freshness_seconds_count{hop="handled",flow="orders-flow",group="g-1",topic="orders"} 5',
    );
    expect(text).toContain(
      'inlet_freshness_seconds_count{hop="visible",flow="orders-flow",group="g-1",topic="orders"} 2',
    );
    expect(text).toContain(
      'inlet_freshness_seconds_sum{hop="visible",flow="orders-flow",group="g-1",topic="orders"} 1.5',
    );
    expect(text).toContain('inlet_freshness_seconds_count{hop="produced",flow="",group="",topic="orders"} 2');
    expect(text).toContain(
      'inlet_sink_batch_events_sum{sink="pg",flow="orders-flow",group="g-1",topic="orders"} 2',
    );
    expect(text).toContain('inlet_windowing_late_events_total{name="per-minute",outcome="dropped"} 1');
    expect(text).toContain('inlet_producer_records_total{producer="p"} 7');
    await metrics.close();
  });

  it('counts nothing after close and stays off the global registry', async () => {
    const { register } = await import('prom-client');
    const metrics = createMetrics();
    await metrics.close();
    publishHandled('g-2', 5);
    expect(metrics.groupTotals('g-2').handled).toBe(0);
    expect(await register.metrics()).not.toContain('inlet_consumer_events_handled_total');
  });

  it('refuses invalid options, naming the option', () => {
    expect(() => createMetrics({ recentWindowMs: -1 })).toThrow(/recentWindowMs/);
  });

  it('serves /metrics over node:http', async () => {
    const metrics = createMetrics();
    publishHandled('g-3', 5);
    const server = createServer(createMetricsHandler(metrics));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toContain('text/plain; version=0.0.4');
      expect(await ok.text()).toContain(
        'inlet_consumer_events_handled_total{flow="g-3",group="g-3",topic="orders"} 1',
      );
      const missing = await fetch(`http://127.0.0.1:${port}/other`);
      expect(missing.status).toBe(404);
      await missing.text();
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await metrics.close();
    }
  });

  it('exports to OpenTelemetry through observable instruments', async () => {
    const metrics = createMetrics({ flows: { 'g-4': 'flow-4' } });
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const binding = bindOpenTelemetry(provider.getMeter('inlet-test'), metrics);
    publishHandled('g-4', 250);
    publishHandled('g-4', 750);
    await reader.forceFlush();
    const exported = exporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    const byName = (name: string) => exported.find((metric) => metric.descriptor.name === name);
    const handledPoints = byName('inlet_consumer_events_handled_total')?.dataPoints ?? [];
    expect(handledPoints).toMatchObject([
      { value: 2, attributes: { flow: 'flow-4', group: 'g-4', topic: 'orders' } },
    ]);
    const freshnessSum = byName('inlet_freshness_seconds_sum')?.dataPoints ?? [];
    expect(freshnessSum).toMatchObject([{ value: 1, attributes: { hop: 'handled', flow: 'flow-4' } }]);
    expect(byName('inlet_freshness_seconds_count')?.dataPoints).toMatchObject([{ value: 2 }]);
    binding.unbind();
    await provider.shutdown();
    await metrics.close();
  });
});
