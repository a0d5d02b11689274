import {
  closedError,
  type KafkaTransport,
  type TransportAdmin,
  type TransportConsumer,
  type TransportConsumerOptions,
  type TransportProducer,
  type TransportProducerOptions,
} from '@inlet/core';
import {
  type InMemoryBackboneOptions,
  type ResolvedBackboneOptions,
  resolveBackboneOptions,
} from './backbone-options';
import { InMemoryAdmin } from './in-memory-admin';
import { InMemoryBroker } from './in-memory-broker';
import { InMemoryConsumer } from './in-memory-consumer';
import { InMemoryProducer } from './in-memory-producer';

export type { InMemoryBackboneOptions } from './backbone-options';

/** The in-process model of Kafka: a {@link KafkaTransport} that needs no broker. */
export interface InMemoryBackbone extends KafkaTransport {
  readonly kind: 'in-memory';
}

/**
 * Creates an in-memory backbone: topics, partitions, consumer groups and transactions behaving as
 * a Kafka cluster does through kafkajs, within this process. Nothing is shared between backbones.
 */
export function createInMemoryBackbone(options: InMemoryBackboneOptions = {}): InMemoryBackbone {
  return new InMemoryBackboneTransport(resolveBackboneOptions(options));
}

interface Closable {
  close(): Promise<void>;
}

class InMemoryBackboneTransport implements InMemoryBackbone {
  readonly kind = 'in-memory' as const;
  private readonly broker: InMemoryBroker;
  private readonly consumers = new Set<Closable>();
  private readonly clients = new Set<Closable>();
  private closing: Promise<void> | undefined;

  constructor(options: ResolvedBackboneOptions) {
    this.broker = new InMemoryBroker(options);
  }

  producer(options: TransportProducerOptions = {}): TransportProducer {
    this.ensureOpen();
    const producer: InMemoryProducer = new InMemoryProducer(this.broker, options, () =>
      this.clients.delete(producer),
    );
    this.clients.add(producer);
    return producer;
  }

  consumer(options: TransportConsumerOptions): TransportConsumer {
    this.ensureOpen();
    const consumer: InMemoryConsumer = new InMemoryConsumer(this.broker, options, () =>
      this.consumers.delete(consumer),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  admin(): TransportAdmin {
    this.ensureOpen();
    const admin: InMemoryAdmin = new InMemoryAdmin(this.broker, () => this.clients.delete(admin));
    this.clients.add(admin);
    return admin;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async shutdown(): Promise<void> {
    // Consumers first: their in-flight batches may still produce or commit while they drain.
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
    await Promise.allSettled([...this.clients].map((client) => client.close()));
    this.broker.close();
  }

  private ensureOpen(): void {
    if (this.closing !== undefined) throw closedError('transport');
  }
}
