import {
  checkOptions,
  type InletEvent,
  type KafkaTransport,
  option,
  required,
  type TopicDefinition,
} from '@inlet/core';
import type { InletProducer, TopicEventInput } from '@inlet/producer';

/**
 * An event of the output topic, as `map` returns it: its `type` picks which of the topic's events
 * it is (kept as its literal, so that `{ type: 'x', data }` needs no `as const`) and so its data.
 */
export type KafkaSinkOutput<TOutput extends TopicDefinition, TType extends string> = {
  readonly type: TType;
} & Extract<TopicEventInput<TOutput>, { readonly type: TType }>;

export interface KafkaSinkOptions<
  TEvent extends InletEvent,
  TOutput extends TopicDefinition,
  TType extends string = string,
> {
  /**
   * Sends the outputs; not closed by the sink. Made with a `transactionalId`, each batch's outputs
   * and its input offsets commit in one transaction (exactly once for `read_committed` readers).
   */
  readonly producer: InletProducer;
  /** The output topic. */
  readonly topic: TOutput;
  /** The topics the pipeline consumes: they type the events `map` receives. */
  readonly topics?: readonly TopicDefinition[];
  /**
   * The event to send for an input event, or undefined to drop it. Default: the same event
   * (its type, data, version, id and trace context), which the output topic must define.
   */
  readonly map?: (event: TEvent) => KafkaSinkOutput<TOutput, TType> | undefined;
  /** Deletes (tombstones) are forwarded as tombstones with their version (default), or dropped. */
  readonly deletes?: 'forward' | 'drop';
  /**
   * With a transactional producer, give the pipeline's transport for exactly once through
   * crashes: each transaction also commits the input offsets under a group of the sink's own
   * (`<groupId>.inlet-kafka-sink`), which only it writes, and the pipeline resumes from those
   * (`storedOffsets`). Without it, the consumer's own commits of the group can briefly lag the
   * transactions' and a crash in that moment sends a batch again (see the README).
   */
  readonly transport?: KafkaTransport;
}

const kafkaSinkShape = {
  producer: required(
    option.methods(
      'an InletProducer',
      ['sendBatch', 'sendTombstone', 'transaction'],
      'make it with createProducer()',
    ),
  ),
  topic: required(
    option.custom(
      'a topic made with defineTopic()',
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string',
    ),
  ),
  topics: option.arrayOf(
    option.custom('a topic made with defineTopic()', (value) => typeof value === 'object'),
  ),
  map: option.function('a function (event) => output event or undefined'),
  deletes: option.oneOf(['forward', 'drop']),
  transport: option.methods('a KafkaTransport', ['producer', 'consumer', 'admin', 'close']),
};

/** The group only the sink commits to, in its transactions: where a pipeline resumes from. */
export function sinkOffsetsGroup(groupId: string): string {
  return `${groupId}.inlet-kafka-sink`;
}

export function checkKafkaSinkOptions(options: unknown): void {
  checkOptions('kafka sink', options, kafkaSinkShape);
}
