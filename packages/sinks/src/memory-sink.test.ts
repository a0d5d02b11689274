import { createMemorySink } from './memory-sink';
import { type ContractEvent, describeSinkContract } from './sink-contract';

// The reference sink passes the contract it is the reference for.
describeSinkContract('memory', {
  async create() {
    const sink = createMemorySink<ContractEvent>({
      refuse: (change) =>
        change.kind === 'upsert' && change.event.data.value === 'refused'
          ? new Error('value "refused" is not allowed')
          : undefined,
    });
    return {
      sink,
      async read() {
        return new Map(
          [...sink.entities].map(([id, entity]) => [
            id,
            {
              revision: entity.entityVersion,
              value: entity.event?.data.value,
              deleted: entity.deleted,
            },
          ]),
        );
      },
      async cleanup() {},
    };
  },
  refusedItem: (id) => ({ id, revision: 1, value: 'refused' }),
  runs: 40,
});
