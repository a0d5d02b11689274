import { closedError } from '../../errors';
import { toInletError } from './classify-kafkajs-error';

/**
 * Connect-once and close-once bookkeeping for one kafkajs-backed resource: `connect` runs its
 * work once (again after a failure), `close` runs its work once, waits for tracked work first,
 * and after it every guarded call fails with INLET_CLOSED. Errors leave classified.
 */
export class ResourceLifecycle {
  readonly #resource: string;
  readonly #inFlight = new Set<Promise<unknown>>();
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(resource: string) {
    this.#resource = resource;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  assertOpen(): void {
    if (this.#closing !== undefined) throw closedError(this.#resource);
  }

  connect(open: () => Promise<void>): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError(this.#resource));
    if (this.#connecting === undefined) {
      const connecting = open().catch((error: unknown) => {
        if (this.#connecting === connecting) this.#connecting = undefined;
        throw toInletError(error);
      });
      this.#connecting = connecting;
    }
    return this.#connecting;
  }

  /** Runs `work` while open; `close` waits for it to settle. Its errors leave classified. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.assertOpen();
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      throw toInletError(error);
    }
    this.#inFlight.add(running);
    try {
      return await running;
    } catch (error) {
      throw toInletError(error);
    } finally {
      this.#inFlight.delete(running);
    }
  }

  close(shutdown: () => Promise<void>): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = (async () => {
        await Promise.allSettled([...this.#inFlight]);
        await this.#connecting?.catch(() => undefined);
        await shutdown();
      })().catch((error: unknown) => {
        throw toInletError(error);
      });
    }
    return this.#closing;
  }
}
