import type { InletKafkaError } from '@inlet/core';
import type { Kafka } from 'kafkajs';

interface Connectable {
  connect(): Promise<void>;
}

/**
 * Where the connections of one transport report that a broker's listener expects another
 * security protocol than the client's (see `security-checking-socket.ts`), so that a client
 * still connecting fails at once instead of waiting out kafkajs's connection retries, which
 * take a retriable error from every attempt and would go on for about ten seconds by default.
 */
export class SecurityProtocolMismatches {
  readonly #waiting = new Set<(mismatch: InletKafkaError) => void>();

  report(mismatch: InletKafkaError): void {
    for (const fail of [...this.#waiting]) fail(mismatch);
  }

  /** Settles as `attempt` does, or rejects with the first mismatch reported while it runs. */
  failFast<T>(attempt: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      attempt.then(resolve, reject).finally(() => this.#waiting.delete(reject));
    });
  }

  /**
   * `kafka` with every producer, consumer and admin it makes failing its `connect()` at the
   * first mismatch. kafkajs goes on retrying in the background until its retries run out; each
   * attempt meets the same mismatch and fails, so nothing is sent.
   */
  failingFast(kafka: Kafka): Kafka {
    const failFast = <C extends Connectable>(client: C): C => {
      const connect = client.connect.bind(client);
      client.connect = () => this.failFast(connect());
      return client;
    };
    const wrapped: Kafka = Object.create(kafka);
    wrapped.producer = (config) => failFast(kafka.producer(config));
    wrapped.consumer = (config) => failFast(kafka.consumer(config));
    wrapped.admin = (config) => failFast(kafka.admin(config));
    return wrapped;
  }
}
