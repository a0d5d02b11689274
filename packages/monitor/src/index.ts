export { logHook, type WebhookHookOptions, webhookHook } from './alert-hooks';
export type {
  AlertRule,
  DeadLetterRateRule,
  DriftRule,
  FlowObservation,
  FlowRule,
  FreshnessRule,
  LagRule,
  ReconciliationObservation,
  SilenceRule,
  StallRule,
} from './alert-rule';
export { type AlertHook, type Alerts, type AlertsOptions, createAlerts } from './alerts';
export { type PartitionLag, type ReadGroupLagOptions, readGroupLag } from './group-lag';
export { createLagMonitor, type LagMonitor, type LagMonitorOptions, type LagSample } from './lag-monitor';
export { createMetricsHandler, type MetricsSource } from './metrics-handler';
export { createMonitor, type FlowDefinition, type Monitor, type MonitorOptions } from './monitor';
export { MonitorErrorCode } from './monitor-error-code';
export {
  createMetrics,
  type FreshnessHop,
  type GroupTotals,
  type InletMetrics,
  type MetricsOptions,
  type ProducerTotals,
  type RecentFreshness,
} from './monitor-metrics';
export type {
  AlertStatus,
  FlowSample,
  FlowStatus,
  MonitorSnapshot,
  ReconciliationResult,
  ReconciliationSummary,
} from './monitor-snapshot';
export { bindOpenTelemetry, type OpenTelemetryBinding, type RegistrySource } from './open-telemetry';
export {
  bindOpenTelemetryTracing,
  eventTraceContext,
  type OpenTelemetryTracing,
  type OpenTelemetryTracingOptions,
} from './open-telemetry-tracing';
export { createStatusServer, type StatusServer, type StatusServerOptions } from './status-server';
