import { abortedError, type InletError } from '@inlet/core';
import type { BatchingSender } from './batching-sender';

/**
 * A `send` / `sendBatch` call that could not be handed to the sender when it was made: its
 * schema ids or its topic's metadata are still being looked up, or the buffer is full.
 */
export interface WaitingCall<TPrepared extends { readonly bytes: number }> {
  /** Everything that can refuse the call, done; rejects with the refusal. */
  readonly prepared: Promise<readonly TPrepared[]>;
  /** When the call gives up waiting for room (ms since the epoch): its delivery deadline. */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  /** Hands the prepared records to the sender; room for them is reserved. */
  accept(prepared: readonly TPrepared[]): void;
  /** Ends the call with an error; nothing of it was sent. */
  refuse(error: unknown): void;
}

interface Entry<TPrepared extends { readonly bytes: number }> {
  readonly call: WaitingCall<TPrepared>;
  ended: boolean;
  readonly onAbort: () => void;
}

/**
 * Hands calls to the sender in the order they were made, so that records of one key are written
 * in call order: a call that is ready waits for every earlier one to be accepted or refused. A
 * call may only skip this when nothing is waiting (the producer's synchronous fast path).
 */
export class SendIntake<TPrepared extends { readonly bytes: number }> {
  readonly #sender: BatchingSender;
  readonly #waiting: Entry<TPrepared>[] = [];
  readonly #drainedWaiters: (() => void)[] = [];
  #draining = false;
  #aborted: InletError | undefined;
  #abortHead: ((error: InletError) => void) | undefined;

  constructor(sender: BatchingSender) {
    this.#sender = sender;
  }

  /** True when no call waits: a new one may go straight to the sender. */
  get idle(): boolean {
    return this.#waiting.length === 0;
  }

  add(call: WaitingCall<TPrepared>): void {
    // A refused preparation is reported in turn, not as an unhandled rejection before it.
    call.prepared.catch(() => undefined);
    if (this.#aborted !== undefined) {
      call.refuse(this.#aborted);
      return;
    }
    const entry: Entry<TPrepared> = {
      call,
      ended: false,
      onAbort: () => this.#end(entry, abortedError('waiting to be accepted', call.signal as AbortSignal)),
    };
    if (call.signal?.aborted) {
      call.refuse(abortedError('waiting to be accepted', call.signal));
      return;
    }
    call.signal?.addEventListener('abort', entry.onAbort, { once: true });
    this.#waiting.push(entry);
    if (!this.#draining) void this.#drain();
  }

  /** Resolves once every call added so far was accepted or refused. */
  drained(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#drainedWaiters.push(resolve));
  }

  /** Refuses every waiting call, and any added later, with `error`. */
  abort(error: InletError): void {
    this.#aborted = error;
    this.#abortHead?.(error);
    for (const entry of this.#waiting) this.#end(entry, error);
  }

  #end(entry: Entry<TPrepared>, error: unknown): void {
    if (entry.ended) return;
    entry.ended = true;
    entry.call.signal?.removeEventListener('abort', entry.onAbort);
    if (this.#waiting[0] === entry) this.#abortHead?.(error as InletError);
    entry.call.refuse(error);
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#waiting.length > 0) {
      const entry = this.#waiting[0] as Entry<TPrepared>;
      if (!entry.ended) await this.#handOver(entry);
      this.#waiting.shift();
    }
    this.#draining = false;
    for (const resolve of this.#drainedWaiters.splice(0)) resolve();
  }

  async #handOver(entry: Entry<TPrepared>): Promise<void> {
    const { call } = entry;
    // The head's wait ends early when it is aborted or the intake is; the call then was refused.
    const stopped = new Promise<never>((_, reject) => {
      this.#abortHead = reject;
    });
    stopped.catch(() => undefined);
    try {
      const prepared = await Promise.race([call.prepared, stopped]);
      let bytes = 0;
      for (const item of prepared) bytes += item.bytes;
      const reserving = this.#sender.reserve(prepared.length, bytes, call.signal, call.deadline);
      try {
        await Promise.race([reserving, stopped]);
      } catch (error) {
        // Room taken at the very moment the wait was stopped goes back.
        reserving.then(
          () => this.#sender.release(prepared.length, bytes),
          () => undefined,
        );
        throw error;
      }
      if (entry.ended) {
        this.#sender.release(prepared.length, bytes);
        return;
      }
      entry.ended = true;
      call.signal?.removeEventListener('abort', entry.onAbort);
      call.accept(prepared);
    } catch (error) {
      this.#end(entry, error);
    } finally {
      this.#abortHead = undefined;
    }
  }
}
