import { channel } from 'node:diagnostics_channel';

/**
 * A batch became visible in its target: the freshness hop "visible in the sink". Per event its
 * event time, so that a monitor can tell how long events took from happening to being visible.
 */
export interface SinkVisibleMessage {
  readonly sink: string;
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  /** When the write was acknowledged (ms since the epoch). */
  readonly visibleAt: number;
  readonly writeMs: number;
  readonly events: readonly {
    readonly offset: string;
    readonly eventTime: number;
    readonly eventId: string;
    /** The event's W3C trace context, when it carries one (a delete never does). */
    readonly traceparent: string | undefined;
    readonly tracestate: string | undefined;
  }[];
  readonly rejected: number;
}

/** A sink write that failed and is tried again. */
export interface SinkRetryMessage {
  readonly sink: string;
  readonly topic: string;
  readonly partition: number;
  readonly attempt: number;
  readonly error: unknown;
}

/** The sinks' diagnostics channels (`node:diagnostics_channel`), for `@inlet/monitor` and others. */
export const sinkChannels = {
  visible: channel('inlet:sink:visible'),
  retry: channel('inlet:sink:retry'),
} as const;
