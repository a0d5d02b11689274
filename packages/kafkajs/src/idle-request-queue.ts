/// <reference path="./kafkajs-internals.d.ts" />
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

// kafkajs 2.2.4 re-arms a timer after every look at a connection's pending requests, even when
// none is pending and nothing is throttled: `throttledUntil` starts at -1, the delay comes out
// negative, Node runs it after 1 ms, and every open connection wakes a thousand times a second
// for as long as it lives (tulios/kafkajs#1751, unfixed in the last release). Measured here: an
// idle producer used 240 ms of CPU in 5 s, 8 ms once the queue stops re-arming. The timer is
// only needed while requests wait (too many in flight, or the broker asked us to back off); a
// request that has to wait arms it again when it is queued.

interface RequestQueueState {
  readonly pending: readonly unknown[];
  readonly throttledUntil: number;
}

let applied = false;

/** Makes idle kafkajs connections sleep (process-wide, once); a kafkajs without that method is left as it is. */
export function stopIdleRequestQueuePolling(): void {
  if (applied) return;
  applied = true;
  const prototype = (RequestQueue as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  const schedule = prototype?.scheduleCheckPendingRequests;
  if (prototype === undefined || typeof schedule !== 'function') return;
  prototype.scheduleCheckPendingRequests = function scheduleWhileWaiting(this: RequestQueueState) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
}
