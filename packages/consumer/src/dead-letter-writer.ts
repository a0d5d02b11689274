import {
  type AnyEventDefinition,
  type IncomingRecord,
  InletError,
  InletErrorCode,
  type InletEvent,
  type InletLogger,
  type KafkaTransport,
  type OutgoingRecord,
  type TransportProducer,
} from '@inlet/core';
import { consumerChannels } from './consumer-diagnostics';
import { ConsumerErrorCode } from './consumer-error-code';
import type { ResolvedConsumerOptions } from './consumer-options';
import { deadLetterRecord, maskCredentials } from './dead-letter';
import type { ServiceCalls } from './retries';
import { isTombstone, type Tombstone } from './tombstone';

/** What is dead-lettered: the record as it came, and the event when it decoded. */
export interface DeadLetterSubject {
  readonly record: IncomingRecord;
  readonly event: InletEvent | Tombstone | undefined;
  readonly definition: AnyEventDefinition | undefined;
}

// A topic whose max.message.bytes is below the default letter size: halve the letter this many
// times at most before giving up.
const maxShrinks = 8;
const smallestLetterBytes = 1_024;

function letterBytes(letter: OutgoingRecord): number {
  let bytes = (letter.key?.length ?? 0) + (letter.value?.length ?? 0);
  for (const [name, value] of Object.entries(letter.headers ?? {})) {
    for (const each of Array.isArray(value) ? value : [value])
      bytes += name.length + (each as string | Buffer).length;
  }
  return bytes;
}

/**
 * Writes dead letters: makes each dead-letter topic on first use (with its source topic's
 * partition count), builds the letter (redacted, credentials masked, cut to fit), and sends it
 * under the consumer's service retries. A letter the topic refuses as too large is cut further;
 * a failure that is not retryable, or that outlasts the retries, stops the consumer.
 */
export class DeadLetterWriter {
  readonly #transport: KafkaTransport;
  readonly #settings: ResolvedConsumerOptions;
  readonly #service: ServiceCalls;
  readonly #logger: InletLogger;
  readonly #topicsReady = new Map<string, Promise<void>>();
  #producer: TransportProducer | undefined;

  constructor(transport: KafkaTransport, settings: ResolvedConsumerOptions, service: ServiceCalls) {
    this.#transport = transport;
    this.#settings = settings;
    this.#service = service;
    this.#logger = settings.logger;
  }

  /** False when dead-lettering is off (`deadLetter: false`). */
  get enabled(): boolean {
    return this.#settings.deadLetterTopic !== undefined;
  }

  async write(
    subject: DeadLetterSubject,
    error: InletError,
    attempts: number,
    signal: AbortSignal,
  ): Promise<void> {
    const topicOf = this.#settings.deadLetterTopic;
    if (topicOf === undefined)
      throw new InletError(ConsumerErrorCode.deadLetterFailed, 'dead-lettering is off');
    const { record } = subject;
    const deadLetterTopic = topicOf(record.topic);
    const redactedValue = this.#redactedValue(subject);
    const errorMessage = this.#errorMessage(error);
    let maxRecordBytes = this.#settings.deadLetterMaxRecordBytes;
    await this.#service.call(
      'dead-letter topic',
      `write to ${deadLetterTopic}`,
      async () => {
        await this.#ensureTopic(record.topic, deadLetterTopic);
        for (let shrinks = 0; ; shrinks += 1) {
          const letter = deadLetterRecord(record, {
            deadLetterTopic,
            groupId: this.#settings.groupId,
            error,
            attempts,
            errorMessage,
            maxRecordBytes,
            ...(redactedValue === undefined ? {} : { redactedValue }),
          });
          try {
            this.#producer ??= this.#transport.producer({ idempotent: true });
            await this.#producer.send([letter], { signal });
            return;
          } catch (sendError) {
            const tooLarge = InletError.hasCode(sendError, InletErrorCode.kafkaMessageTooLarge);
            const size = letterBytes(letter);
            if (!tooLarge || shrinks >= maxShrinks || size <= smallestLetterBytes) throw sendError;
            maxRecordBytes = Math.max(smallestLetterBytes, Math.floor(size / 2));
            this.#logger.warn('dead letter too large for its topic; cutting it', {
              deadLetterTopic,
              bytes: size,
              nextMaxBytes: maxRecordBytes,
            });
          }
        }
      },
      signal,
    );
    this.#logger.warn('event dead-lettered', {
      groupId: this.#settings.groupId,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      deadLetterTopic,
      code: error.code,
    });
    if (consumerChannels.deadLettered.hasSubscribers) {
      consumerChannels.deadLettered.publish({
        groupId: this.#settings.groupId,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        deadLetterTopic,
        error,
        attempts,
      });
    }
  }

  async close(): Promise<void> {
    await this.#producer?.close().catch(() => undefined);
  }

  #redactedValue({ event, definition }: DeadLetterSubject): Buffer | undefined {
    const contract = definition?.contract;
    if (
      event === undefined ||
      isTombstone(event) ||
      contract === undefined ||
      this.#settings.redactDeadLetters === false
    )
      return undefined;
    return Buffer.from(JSON.stringify(contract.redact(event.data)));
  }

  #errorMessage(error: InletError): string | false {
    const chosen = this.#settings.deadLetterErrorMessage;
    if (chosen === false) return false;
    if (chosen === undefined) return maskCredentials(error.message);
    try {
      return String(chosen(error));
    } catch (thrown) {
      // The user's function failing must not lose the letter: fall back to the code alone.
      this.#logger.error('deadLetter.errorMessage threw; writing the letter without a message', {
        error: thrown instanceof Error ? maskCredentials(thrown.message) : String(thrown),
      });
      return false;
    }
  }

  // Dead-letter topics are made on first use, with as many partitions as their source topic.
  #ensureTopic(sourceTopic: string, deadLetterTopic: string): Promise<void> {
    let ready = this.#topicsReady.get(deadLetterTopic);
    if (ready === undefined) {
      const admin = this.#transport.admin();
      ready = admin
        .partitionCount(sourceTopic)
        .then((partitions) => admin.createTopics([{ topic: deadLetterTopic, partitions }]))
        .then(() => undefined);
      ready.catch(() => this.#topicsReady.delete(deadLetterTopic));
      this.#topicsReady.set(deadLetterTopic, ready);
    }
    return ready;
  }
}
