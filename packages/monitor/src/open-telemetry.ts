import type { Attributes, Meter, Observable } from '@opentelemetry/api';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/** Something whose Prometheus registry can be mirrored: {@link InletMetrics} or a monitor. */
export interface RegistrySource {
  readonly registry: Registry;
}

/** Stops reporting to the meter. */
export interface OpenTelemetryBinding {
  unbind(): void;
}

type Reading = MetricObjectWithValues<MetricValue<string>>;

/**
 * Mirrors the metrics of `source` into an OpenTelemetry meter with observable instruments, read
 * at each collection: counters as observable counters, gauges as observable gauges, and each
 * histogram as two observable counters, `<name>_sum` and `<name>_count` (the OpenTelemetry API
 * has no observable histogram).
 */
export function bindOpenTelemetry(meter: Meter, source: RegistrySource): OpenTelemetryBinding {
  const instruments = new Map<string, Observable>();
  for (const metric of source.registry.getMetricsAsArray()) {
    const { name, help, type } = metric as unknown as { name: string; help: string; type: string };
    if (type === 'counter') instruments.set(name, meter.createObservableCounter(name, { description: help }));
    else if (type === 'gauge')
      instruments.set(name, meter.createObservableGauge(name, { description: help }));
    else if (type === 'histogram') {
      instruments.set(
        `${name}_sum`,
        meter.createObservableCounter(`${name}_sum`, { description: `${help} (sum)` }),
      );
      instruments.set(
        `${name}_count`,
        meter.createObservableCounter(`${name}_count`, { description: `${help} (count)` }),
      );
    }
  }
  const observables = [...instruments.values()];
  const callback = async (result: {
    observe(observable: Observable, value: number, attributes?: Attributes): void;
  }) => {
    const readings = (await source.registry.getMetricsAsJSON()) as unknown as Reading[];
    for (const reading of readings) {
      for (const value of reading.values) {
        const metricName = (value as { metricName?: string }).metricName ?? reading.name;
        const instrument = instruments.get(metricName);
        if (instrument !== undefined) result.observe(instrument, value.value, attributesOf(value.labels));
      }
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return { unbind: () => meter.removeBatchObservableCallback(callback, observables) };
}

function attributesOf(labels: Partial<Record<string, string | number>>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(labels)) if (value !== undefined) attributes[key] = value;
  return attributes;
}
