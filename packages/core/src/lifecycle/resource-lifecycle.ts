import { closedError } from '../errors';

export interface ResourceLifecycleOptions {
  /**
   * Turns what the resource's own work throws into the error its callers see (a transport
   * classifies its client's errors here). Default: errors leave as they are.
   */
  readonly classifyError?: (error: unknown) => unknown;
}

/**
 * Connect-once and close-once bookkeeping for one resource (a transport's producer, a store...):
 * `connect` runs its work once (again after a failure); `run` runs a call while the resource is
 * open; `track` keeps a background task; `close` runs its shutdown once, after every call and
 * task in flight has settled, and after it every guarded call fails with INLET_CLOSED.
 */
export class ResourceLifecycle {
  readonly #resource: string;
  readonly #classifyError: (error: unknown) => unknown;
  readonly #inFlight = new Set<Promise<unknown>>();
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** `resource` names it in the INLET_CLOSED message ("PostgreSQL dedup store is closed"). */
  constructor(resource: string, options: ResourceLifecycleOptions = {}) {
    this.#resource = resource;
    this.#classifyError = options.classifyError ?? ((error) => error);
  }

  /** True once `close` was called, before it has finished too. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Throws INLET_CLOSED once `close` was called. */
  assertOpen(): void {
    if (this.#closing !== undefined) throw closedError(this.#resource);
  }

  /** Runs `open` once; concurrent callers share the attempt, and a failed one is tried again. */
  connect(open: () => Promise<void>): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError(this.#resource));
    if (this.#connecting === undefined) {
      const connecting = open().catch((error: unknown) => {
        if (this.#connecting === connecting) this.#connecting = undefined;
        throw this.#classifyError(error);
      });
      this.#connecting = connecting;
    }
    return this.#connecting;
  }

  /** Runs `work` while open; `close` waits for it to settle. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.assertOpen();
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      throw this.#classifyError(error);
    }
    this.#inFlight.add(running);
    try {
      return await running;
    } catch (error) {
      throw this.#classifyError(error);
    } finally {
      this.#inFlight.delete(running);
    }
  }

  /** Keeps a background task (which handles its own errors) for `close` to wait for. */
  track(task: Promise<unknown>): void {
    this.#inFlight.add(task);
    void task.then(
      () => this.#inFlight.delete(task),
      () => this.#inFlight.delete(task),
    );
  }

  /**
   * Closes once: waits for the calls, tasks and connection attempt in flight, then runs
   * `shutdown`. Later calls return the same promise (their `shutdown` is not run).
   */
  close(shutdown?: () => Promise<void>): Promise<void> {
    this.#closing ??= this.#shutDown(shutdown);
    return this.#closing;
  }

  async #shutDown(shutdown: (() => Promise<void>) | undefined): Promise<void> {
    try {
      // A call that finishes during the wait may start a background task: wait for those too.
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      await this.#connecting?.catch(() => undefined);
      await shutdown?.();
    } catch (error) {
      throw this.#classifyError(error);
    }
  }
}
