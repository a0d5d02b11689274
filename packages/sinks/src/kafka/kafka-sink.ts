import {
  closedError,
  type EntityKey,
  InletError,
  InletErrorCode,
  type TopicDefinition,
  type TopicEvent,
  type TopicPartitionOffset,
} from '@inlet/core';
import type { EventInput, ProducerTransaction, TombstoneInput, TopicEventInput } from '@inlet/producer';
import { SendFailedError } from '@inlet/producer';
import type { Sink, SinkBatch, SinkRejection } from '../sink';
import { checkKafkaSinkOptions, type KafkaSinkOptions, sinkOffsetsGroup } from './kafka-sink-options';

/** What one input change becomes: an event, a tombstone, or nothing. */
type Output =
  | { readonly index: number; readonly kind: 'event'; readonly input: EventInput }
  | {
      readonly index: number;
      readonly kind: 'tombstone';
      readonly key: EntityKey;
      readonly tombstone: TombstoneInput;
    };

/** What sends the outputs: the producer itself, or one of its transactions. */
type Target = Pick<ProducerTransaction, 'sendBatch' | 'sendTombstone'>;

export interface KafkaSink<TEvent> extends Sink<TEvent> {
  /** Whether writes are transactions: known after the first write (undefined before it). */
  transactional(): boolean | undefined;
}

// Codes of a record the producer refuses before sending: that change alone is rejected.
const refusalCodes = new Set<string>([
  InletErrorCode.validationFailed,
  InletErrorCode.invalidKey,
  InletErrorCode.invalidEventTime,
  InletErrorCode.contractViolation,
  InletErrorCode.kafkaMessageTooLarge,
  InletErrorCode.schemaIncompatible,
  InletErrorCode.schemaNotRegistered,
]);

function isRefusal(error: unknown): error is InletError {
  return InletError.is(error) && !(error instanceof SendFailedError) && refusalCodes.has(error.code);
}

function forwarded(event: TopicEvent<TopicDefinition>): EventInput {
  return {
    type: event.type,
    data: event.data,
    id: event.id,
    version: event.version,
    ...(event.traceparent === undefined ? {} : { traceparent: event.traceparent }),
    ...(event.tracestate === undefined ? {} : { tracestate: event.tracestate }),
  };
}

/**
 * A sink that sends each change to another topic through an Inlet producer (stream to stream):
 * an event as `map` makes it (the same event by default), a delete as a tombstone with its
 * version. With a transactional producer, a batch's outputs and its input offsets
 * (`sendOffsets(groupId, nextOffset)`) commit in one transaction, so that a `read_committed`
 * reader sees each input's output once, whatever crashes; otherwise outputs are sent at least
 * once. An output the producer refuses (its schema, its key) is rejected alone, and so
 * dead-lettered; the rest is sent.
 */
export function createKafkaSink<
  const TTopics extends readonly TopicDefinition[] = readonly TopicDefinition[],
  const TOutput extends TopicDefinition = TopicDefinition,
  TType extends string = string,
>(
  options: KafkaSinkOptions<TopicEvent<TTopics[number]>, TOutput, TType> & { readonly topics?: TTopics },
): KafkaSink<TopicEvent<TTopics[number]>> {
  type TEvent = TopicEvent<TTopics[number]>;
  checkKafkaSinkOptions(options);
  const { producer, topic } = options;
  const map =
    options.map ??
    ((event: TEvent) => forwarded(event as TopicEvent<TopicDefinition>) as TopicEventInput<TOutput>);
  const forwardDeletes = (options.deletes ?? 'forward') === 'forward';
  const offsetsTransport = options.transport;
  let transactional: boolean | undefined;
  let closed = false;

  function outputsOf(batch: SinkBatch<TEvent>, rejected: SinkRejection[]): Output[] {
    const outputs: Output[] = [];
    batch.changes.forEach((change, index) => {
      if (change.kind === 'delete') {
        if (!forwardDeletes) return;
        const { tombstone } = change;
        outputs.push({
          index,
          kind: 'tombstone',
          key: change.key,
          tombstone: {
            id: tombstone.id,
            eventTime: tombstone.eventTime,
            ...(change.entityVersion === undefined ? {} : { entityVersion: change.entityVersion }),
            ...(tombstone.type === undefined ? {} : { type: tombstone.type }),
          },
        });
        return;
      }
      try {
        const input = map(change.event);
        if (input !== undefined) outputs.push({ index, kind: 'event', input: input as EventInput });
      } catch (error) {
        rejected.push({ index, error });
      }
    });
    return outputs;
  }

  /** Sends runs of events with sendBatch and tombstones alone, in order, one after the other. */
  async function sendAll(
    target: Target,
    outputs: readonly Output[],
    rejected: SinkRejection[],
  ): Promise<void> {
    let position = 0;
    while (position < outputs.length) {
      const first = outputs[position] as Output;
      if (first.kind === 'tombstone') {
        position += 1;
        try {
          await target.sendTombstone(topic, first.key, first.tombstone);
        } catch (error) {
          if (!isRefusal(error)) throw error;
          rejected.push({ index: first.index, error });
        }
        continue;
      }
      let run: Extract<Output, { kind: 'event' }>[] = [];
      while (position < outputs.length && (outputs[position] as Output).kind === 'event') {
        run.push(outputs[position] as Extract<Output, { kind: 'event' }>);
        position += 1;
      }
      // A refused batch sent nothing: send it again without the events refused.
      while (run.length > 0) {
        try {
          await target.sendBatch(topic, run.map((output) => output.input) as TopicEventInput<TOutput>[]);
          break;
        } catch (error) {
          const failures = (error as { failures?: readonly { index: number; error: InletError }[] }).failures;
          if (!isRefusal(error) || failures === undefined) throw error;
          const refused = new Set(failures.map((failure) => failure.index));
          failures.forEach((failure) => {
            rejected.push({ index: (run[failure.index] as Output).index, error: failure.error });
          });
          run = run.filter((_, index) => !refused.has(index));
        }
      }
    }
  }

  async function writeInTransaction(batch: SinkBatch<TEvent>): Promise<SinkRejection[] | undefined> {
    let started = false;
    try {
      return await producer.transaction(async (transaction) => {
        started = true;
        const rejected: SinkRejection[] = [];
        await sendAll(transaction, outputsOf(batch, rejected), rejected);
        const offsets = [{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }];
        await transaction.sendOffsets(batch.groupId, offsets);
        if (offsetsTransport !== undefined)
          await transaction.sendOffsets(sinkOffsetsGroup(batch.groupId), offsets);
        return rejected;
      });
    } catch (error) {
      // The producer has no transactionalId: it refuses before running the work.
      if (transactional === undefined && !started && InletError.hasCode(error, InletErrorCode.invalidOption))
        return undefined;
      throw error;
    }
  }

  const sink: KafkaSink<TEvent> = {
    name: `kafka:${topic.name}`,
    transactional: () => transactional,
    async write(batch) {
      if (closed) throw closedError('kafka sink');
      if (transactional !== false) {
        const rejected = await writeInTransaction(batch);
        if (rejected !== undefined) {
          transactional = true;
          return { rejected };
        }
        transactional = false;
      }
      const rejected: SinkRejection[] = [];
      await sendAll(producer, outputsOf(batch, rejected), rejected);
      return { rejected };
    },
    async close() {
      closed = true;
    },
  };
  if (offsetsTransport === undefined) return sink;
  return {
    ...sink,
    async storedOffsets(groupId, partitions) {
      const admin = offsetsTransport.admin();
      const wanted = new Set(partitions.map(({ topic, partition }) => `${topic}\u0000${partition}`));
      const stored: TopicPartitionOffset[] = [];
      for (const topic of new Set(partitions.map((each) => each.topic))) {
        for (const each of await admin.groupOffsets(sinkOffsetsGroup(groupId), topic))
          if (Number(each.offset) >= 0 && wanted.has(`${topic}\u0000${each.partition}`)) stored.push(each);
      }
      return stored;
    },
  };
}
