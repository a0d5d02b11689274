import type { ServiceCalls } from './retries';
import { coalescingVersionStore } from './stores/coalescing-dedup-store';
import type { VersionStore } from './stores/stores';
import type { WorkItem } from './work-item';

/**
 * The version gate stage: the last handled version of each entity (`storedLatest`), and
 * recording the versions of handled events. Store calls are coalesced per turn of the event loop
 * and run under the consumer's service retries. Which events are stale is decided by
 * `OffsetOrderChecks`, from what this stage reads.
 */
export class VersionGate {
  readonly #store: VersionStore;
  readonly #service: ServiceCalls;

  constructor(store: VersionStore, service: ServiceCalls) {
    this.#store = coalescingVersionStore(store);
    this.#service = service;
  }

  /** The stored latest version of each entity the items have a version key for. */
  async storedLatest(
    items: readonly WorkItem[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, number | undefined>> {
    const unique = new Set<string>();
    for (const item of items) if (item.versionKey !== undefined) unique.add(item.versionKey);
    if (unique.size === 0) return new Map();
    const keys = [...unique];
    const versions = await this.#service.call(
      'version store',
      'latest',
      () => this.#store.latest(keys),
      signal,
    );
    return new Map(keys.map((key, index) => [key, versions[index]]));
  }

  /** Records the versions of handled items, keeping the highest per entity. */
  async record(items: readonly WorkItem[], signal: AbortSignal): Promise<void> {
    const entries = items.flatMap((item) =>
      item.versionKey === undefined || item.entityVersion === undefined
        ? []
        : [{ key: item.versionKey, version: item.entityVersion }],
    );
    if (entries.length > 0)
      await this.#service.call('version store', 'record', () => this.#store.record(entries), signal);
  }
}
