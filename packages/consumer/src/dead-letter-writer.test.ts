import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createInMemoryBackbone } from '@inlet/backbone';
import {
  createEvent,
  deliveredHeaders,
  encodeEventRecord,
  type IncomingRecord,
  InletError,
  InletErrorCode,
  InletKafkaError,
  type InletLogger,
  type KafkaTransport,
  type OutgoingRecord,
  type RecordAck,
  type TopicSpec,
} from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetteredMessage } from './consumer-diagnostics';
import { ConsumerErrorCode } from './consumer-error-code';
import { type ConsumerOptions, resolveConsumerOptions } from './consumer-options';
import { DeadLetterHeader } from './dead-letter';
import { type DeadLetterSubject, DeadLetterWriter } from './dead-letter-writer';
import { OrderUpdated, ordersTopic } from './fixtures/orders.fixture';
import { ConsumerFailedError, ServiceCalls } from './retries';

const never = new AbortController().signal;
const failure = new InletError(InletErrorCode.handlerFailed, 'the handler failed');
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

/** A transport that records what is sent and created; each send takes the next scripted outcome. */
function fakeTransport(options: { partitions?: number } = {}) {
  const sends: OutgoingRecord[][] = [];
  const created: TopicSpec[][] = [];
  const sendOutcomes: (((records: readonly OutgoingRecord[]) => Error) | undefined)[] = [];
  const createOutcomes: (Error | undefined)[] = [];
  let producersClosed = 0;
  const transport = {
    kind: 'in-memory',
    producer: () => ({
      async send(records: readonly OutgoingRecord[]): Promise<RecordAck[]> {
        sends.push([...records]);
        const outcome = sendOutcomes.shift();
        if (outcome !== undefined) throw outcome(records);
        return records.map((record) => ({ topic: record.topic, partition: 0, offset: '0' }));
      },
      async close() {
        producersClosed += 1;
      },
    }),
    consumer: () => {
      throw new Error('not used');
    },
    admin: () => ({
      partitionCount: async () => options.partitions ?? 3,
      async createTopics(specs: readonly TopicSpec[]) {
        created.push([...specs]);
        const outcome = createOutcomes.shift();
        if (outcome !== undefined) throw outcome;
        return specs.map(({ topic }) => topic);
      },
    }),
    close: async () => undefined,
  } as unknown as KafkaTransport;
  return { transport, sends, created, sendOutcomes, createOutcomes, producersClosed: () => producersClosed };
}

function recordingLogger() {
  const lines: { level: string; message: string; fields: unknown }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: unknown): void => {
      lines.push({ level, message, fields });
    };
  const logger: InletLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

function writerOver(
  transport: KafkaTransport,
  extra: Partial<ConsumerOptions<[ReturnType<typeof ordersTopic>]>> = {},
) {
  const { logger, lines } = recordingLogger();
  const settings = resolveConsumerOptions({
    transport,
    groupId: 'order-table',
    topics: [ordersTopic('orders')],
    handle: async () => undefined,
    logger,
    ...extra,
  } as ConsumerOptions<[ReturnType<typeof ordersTopic>]>);
  let serviceRetries = 0;
  const service = new ServiceCalls({
    groupId: settings.groupId,
    retries: 2,
    delays: { minDelayMs: 1, maxDelayMs: 1 },
    logger,
    onRetry: () => {
      serviceRetries += 1;
    },
  });
  const writer = new DeadLetterWriter(transport, settings, service);
  opened.push(writer);
  return { writer, lines, serviceRetries: () => serviceRetries };
}

function subjectOf(topic: string, value = Buffer.from('{"orderId":"o-1"}'), offset = 7): DeadLetterSubject {
  const record: IncomingRecord = {
    topic,
    partition: 1,
    offset: String(offset),
    key: Buffer.from('o-1'),
    value,
    ...deliveredHeaders({ tenant: 't-1' }),
    timestamp: 1_700_000_000_000,
  };
  return { record, event: undefined, definition: undefined };
}

const headerOf = (letter: OutgoingRecord | undefined, name: string) =>
  deliveredHeaders(letter?.headers)
    .headerList.filter((header) => header.name === name)
    .map(({ value }) => value?.toString());

const tooLarge = (records: readonly OutgoingRecord[]) =>
  new InletKafkaError(
    InletErrorCode.kafkaMessageTooLarge,
    `record of ${records[0]?.value?.length} bytes is too large`,
    'MESSAGE_TOO_LARGE',
  );

describe('DeadLetterWriter', () => {
  it('writes the letter to <topic>.dlq, creating the topic first with the source’s partition count', async () => {
    const fake = fakeTransport({ partitions: 6 });
    const { writer } = writerOver(fake.transport);
    expect(writer.enabled).toBe(true);
    await writer.write(subjectOf('orders'), failure, 3, never);
    expect(fake.created).toEqual([[{ topic: 'orders.dlq', partitions: 6 }]]);
    const letter = fake.sends[0]?.[0];
    expect(letter).toMatchObject({
      topic: 'orders.dlq',
      key: Buffer.from('o-1'),
      value: Buffer.from('{"orderId":"o-1"}'),
    });
    expect(headerOf(letter, 'tenant')).toEqual(['t-1']);
    expect(headerOf(letter, DeadLetterHeader.errorCode)).toEqual(['INLET_HANDLER_FAILED']);
    expect(headerOf(letter, DeadLetterHeader.attempts)).toEqual(['3']);
    expect(headerOf(letter, DeadLetterHeader.consumerGroup)).toEqual(['order-table']);
    expect(headerOf(letter, DeadLetterHeader.sourceOffset)).toEqual(['7']);
  });

  it('creates each dead-letter topic once, on its first letter', async () => {
    const fake = fakeTransport();
    const { writer } = writerOver(fake.transport);
    await writer.write(subjectOf('orders', undefined, 1), failure, 1, never);
    await writer.write(subjectOf('orders', undefined, 2), failure, 1, never);
    await writer.write(subjectOf('payments', undefined, 3), failure, 1, never);
    expect(fake.created.flat().map(({ topic }) => topic)).toEqual(['orders.dlq', 'payments.dlq']);
    expect(fake.sends).toHaveLength(3);
  });

  it('names the topic as deadLetter.topic says, by name or by function', async () => {
    const named = fakeTransport();
    await writerOver(named.transport, { deadLetter: { topic: 'all-failures' } }).writer.write(
      subjectOf('orders'),
      failure,
      1,
      never,
    );
    expect(named.sends[0]?.[0]?.topic).toBe('all-failures');
    const computed = fakeTransport();
    await writerOver(computed.transport, { deadLetter: { topic: (source) => `dlq.${source}` } }).writer.write(
      subjectOf('orders'),
      failure,
      1,
      never,
    );
    expect(computed.created[0]).toEqual([{ topic: 'dlq.orders', partitions: 3 }]);
  });

  it('is disabled by deadLetter: false, and refuses to write then', async () => {
    const fake = fakeTransport();
    const { writer } = writerOver(fake.transport, { deadLetter: false });
    expect(writer.enabled).toBe(false);
    const error = await writer
      .write(subjectOf('orders'), failure, 1, never)
      .catch((thrown: unknown) => thrown);
    expect(InletError.hasCode(error, ConsumerErrorCode.deadLetterFailed)).toBe(true);
    expect(fake.sends).toEqual([]);
  });

  it('halves a letter the topic refuses as too large and sends it again', async () => {
    const fake = fakeTransport();
    const { writer, lines } = writerOver(fake.transport);
    fake.sendOutcomes.push(tooLarge, tooLarge);
    await writer.write(subjectOf('orders', Buffer.alloc(600_000, 1)), failure, 1, never);
    const sizes = fake.sends.map((records) => records[0]?.value?.length ?? 0);
    expect(sizes).toHaveLength(3);
    expect(sizes[0]).toBe(600_000);
    expect(sizes[1]).toBeLessThanOrEqual(300_000);
    expect(sizes[2]).toBeLessThanOrEqual(150_000);
    expect(headerOf(fake.sends[2]?.[0], DeadLetterHeader.valueTruncated)).toEqual(['600000']);
    expect(
      lines.filter(({ message }) => message === 'dead letter too large for its topic; cutting it'),
    ).toHaveLength(2);
  });

  it('stops the consumer when no letter small enough is accepted', async () => {
    const fake = fakeTransport();
    const { writer } = writerOver(fake.transport);
    for (let index = 0; index < 20; index += 1) fake.sendOutcomes.push(tooLarge);
    const error = await writer
      .write(subjectOf('orders', Buffer.alloc(600_000, 1)), failure, 1, never)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConsumerFailedError);
    expect((error as ConsumerFailedError).code).toBe(ConsumerErrorCode.deadLetterFailed);
    // Eight cuts at most, then it gives up instead of retrying for ever.
    expect(fake.sends.length).toBeLessThanOrEqual(9);
  });

  it('turns a failure that is not retryable into ConsumerFailedError with INLET_DEAD_LETTER_FAILED, at once', async () => {
    const fake = fakeTransport();
    const { writer, serviceRetries } = writerOver(fake.transport);
    const denied = new InletKafkaError(
      InletErrorCode.kafkaAuthorization,
      'not allowed to write',
      'TOPIC_AUTHORIZATION_FAILED',
    );
    fake.sendOutcomes.push(() => denied);
    const error = (await writer
      .write(subjectOf('orders'), failure, 1, never)
      .catch((thrown: unknown) => thrown)) as ConsumerFailedError;
    expect(error).toBeInstanceOf(ConsumerFailedError);
    expect(error.code).toBe(ConsumerErrorCode.deadLetterFailed);
    expect(error.cause).toBe(denied);
    expect(error.message).toContain('dead-letter topic write to orders.dlq failed after 1 attempt');
    expect(serviceRetries()).toBe(0);
    expect(fake.sends).toHaveLength(1);
  });

  it('retries a retryable failure, a topic that could not be created included', async () => {
    const fake = fakeTransport();
    const { writer, serviceRetries } = writerOver(fake.transport);
    fake.createOutcomes.push(
      new InletKafkaError(InletErrorCode.kafkaConnection, 'broker down', 'ECONNREFUSED', { retryable: true }),
    );
    fake.sendOutcomes.push(
      () => new InletKafkaError(InletErrorCode.kafkaNotLeader, 'moved', 'NOT_LEADER', { retryable: true }),
    );
    await writer.write(subjectOf('orders'), failure, 1, never);
    expect(fake.created).toHaveLength(2);
    expect(fake.sends).toHaveLength(2);
    expect(serviceRetries()).toBe(2);
  });

  it('writes what deadLetter.errorMessage returns, none for false, and masks credentials by default', async () => {
    const secret = new InletError(StoreErrorCode.storeFailed, 'connect postgres://app:s3cret@db/x failed');
    const byDefault = fakeTransport();
    await writerOver(byDefault.transport).writer.write(subjectOf('orders'), secret, 1, never);
    expect(headerOf(byDefault.sends[0]?.[0], DeadLetterHeader.errorMessage)).toEqual([
      'connect postgres://app:***@db/x failed',
    ]);
    const chosen = fakeTransport();
    await writerOver(chosen.transport, {
      deadLetter: { errorMessage: (error) => `code ${error.code}` },
    }).writer.write(subjectOf('orders'), secret, 1, never);
    expect(headerOf(chosen.sends[0]?.[0], DeadLetterHeader.errorMessage)).toEqual([
      'code INLET_STORE_FAILED',
    ]);
    const none = fakeTransport();
    await writerOver(none.transport, { deadLetter: { errorMessage: false } }).writer.write(
      subjectOf('orders'),
      secret,
      1,
      never,
    );
    expect(headerOf(none.sends[0]?.[0], DeadLetterHeader.errorMessage)).toEqual([]);
    expect(headerOf(none.sends[0]?.[0], DeadLetterHeader.errorCode)).toEqual(['INLET_STORE_FAILED']);
  });

  it('writes the letter without a message when deadLetter.errorMessage throws, and logs it masked', async () => {
    const fake = fakeTransport();
    const { writer, lines } = writerOver(fake.transport, {
      deadLetter: {
        errorMessage: () => {
          throw new Error('cannot format; password=hunter2');
        },
      },
    });
    await writer.write(subjectOf('orders'), failure, 1, never);
    expect(fake.sends).toHaveLength(1);
    expect(headerOf(fake.sends[0]?.[0], DeadLetterHeader.errorMessage)).toEqual([]);
    const logged = lines.find(({ level }) => level === 'error');
    expect(logged?.message).toContain('deadLetter.errorMessage threw');
    expect(JSON.stringify(logged?.fields)).toContain('password=***');
    expect(JSON.stringify(logged?.fields)).not.toContain('hunter2');
  });

  it('redacts the fields a data contract tags, unless deadLetter.redact is false', async () => {
    const Tagged = OrderUpdated.withContract({
      violations: () => [],
      redact: (data) => ({ ...data, orderId: '<redacted>' }),
    });
    const event = createEvent(
      Tagged,
      { orderId: 'customer-7', revision: 1, total: 1, updatedAt: new Date('2026-01-01T00:00:00Z') },
      { source: 'test' },
    );
    const sent = encodeEventRecord('orders', event, Tagged);
    const subject: DeadLetterSubject = {
      record: {
        topic: 'orders',
        partition: 0,
        offset: '0',
        key: sent.key,
        value: sent.value,
        ...deliveredHeaders(sent.headers),
        timestamp: 0,
      },
      event,
      definition: Tagged,
    };
    const redacting = fakeTransport();
    await writerOver(redacting.transport).writer.write(subject, failure, 1, never);
    const letter = redacting.sends[0]?.[0];
    expect(JSON.parse(letter?.value?.toString() ?? '')).toMatchObject({ orderId: '<redacted>', revision: 1 });
    expect(headerOf(letter, DeadLetterHeader.redacted)).toEqual(['true']);
    const keeping = fakeTransport();
    await writerOver(keeping.transport, { deadLetter: { redact: false } }).writer.write(
      subject,
      failure,
      1,
      never,
    );
    expect(keeping.sends[0]?.[0]?.value).toEqual(sent.value);
  });

  it('publishes inlet:consumer:dead-lettered once the letter is written', async () => {
    const messages: DeadLetteredMessage[] = [];
    const onMessage = (message: unknown) => messages.push(message as DeadLetteredMessage);
    subscribe('inlet:consumer:dead-lettered', onMessage);
    try {
      const fake = fakeTransport();
      const { writer } = writerOver(fake.transport);
      fake.sendOutcomes.push(() => new InletError(InletErrorCode.kafkaAuthorization, 'denied'));
      await writer.write(subjectOf('orders', undefined, 8), failure, 2, never).catch(() => undefined);
      expect(messages).toEqual([]);
      await writer.write(subjectOf('orders', undefined, 9), failure, 2, never);
      expect(messages).toEqual([
        {
          groupId: 'order-table',
          topic: 'orders',
          partition: 1,
          offset: '9',
          deadLetterTopic: 'orders.dlq',
          error: failure,
          attempts: 2,
        },
      ]);
    } finally {
      unsubscribe('inlet:consumer:dead-lettered', onMessage);
    }
  });

  it('closes its producer, and closes safely when it never wrote', async () => {
    const unused = fakeTransport();
    await expect(writerOver(unused.transport).writer.close()).resolves.toBeUndefined();
    expect(unused.producersClosed()).toBe(0);
    const used = fakeTransport();
    const { writer } = writerOver(used.transport);
    await writer.write(subjectOf('orders'), failure, 1, never);
    await writer.close();
    expect(used.producersClosed()).toBe(1);
  });
});

describe('DeadLetterWriter on the in-memory backbone', () => {
  /** The backbone, recording what its producers had accepted and refused. */
  async function backbone(maxRecordBytes: number) {
    const transport = createInMemoryBackbone({ maxRecordBytes });
    opened.push(transport);
    await transport.admin().createTopics([{ topic: 'orders', partitions: 3 }]);
    const accepted: OutgoingRecord[] = [];
    const refused: unknown[] = [];
    const makeProducer = transport.producer.bind(transport);
    transport.producer = (options) => {
      const producer = makeProducer(options);
      const send = producer.send.bind(producer);
      producer.send = async (records, sendOptions) => {
        try {
          const acks = await send(records, sendOptions);
          accepted.push(...records);
          return acks;
        } catch (error) {
          refused.push(error);
          throw error;
        }
      };
      return producer;
    };
    return { transport, accepted, refused };
  }

  it('fits a letter to a topic whose limit is below deadLetter.maxRecordBytes', async () => {
    const { transport, accepted, refused } = await backbone(20_000);
    const { writer } = writerOver(transport);
    await writer.write(subjectOf('orders', Buffer.alloc(200_000, 1)), failure, 1, never);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((error) => InletError.hasCode(error, InletErrorCode.kafkaMessageTooLarge))).toBe(
      true,
    );
    expect(accepted).toHaveLength(1);
    expect(headerOf(accepted[0], DeadLetterHeader.valueTruncated)).toEqual(['200000']);
    expect(await transport.admin().partitionCount('orders.dlq')).toBe(3);
    const offsets = await transport.admin().topicOffsets('orders.dlq');
    expect(offsets.reduce((sum, { high }) => sum + Number(high), 0)).toBe(1);
  });

  it('writes a letter whose long error message would be cut inside an emoji', async () => {
    const { transport, accepted } = await backbone(1_048_576);
    const { writer } = writerOver(transport);
    const error = new InletError(InletErrorCode.handlerFailed, `${'x'.repeat(1_999)}😀 and the rest`);
    await writer.write(subjectOf('orders'), error, 1, never);
    expect(accepted).toHaveLength(1);
  });
});
