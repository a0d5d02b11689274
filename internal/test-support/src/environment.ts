/** Where the real servers for integration tests are. */
export interface TestEnvironment {
  readonly kafkaBrokers: readonly string[];
  /** The same broker's SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
  readonly kafkaSaslBrokers: readonly string[];
  /** A user every SASL mechanism accepts (scripts/servers/kafka.sh creates it). */
  readonly kafkaSaslUsername: string;
  readonly kafkaSaslPassword: string;
  /** The same broker's SSL listener. */
  readonly kafkaSslBrokers: readonly string[];
  /** The PEM file of the CA that signed the SSL listener's certificate; unset: `kafka.sh tls-ca`. */
  readonly kafkaSslCaFile: string | undefined;
  readonly schemaRegistryUrl: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
}

// Here rather than only in global-setup.ts, so that every program importing the helpers (a
// package's own typecheck includes this file, not the global setup) knows what `inject` returns.
declare module 'vitest' {
  export interface ProvidedContext {
    inletTestEnvironment: TestEnvironment;
  }
}

function brokerList(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

export function defaultTestEnvironment(env: NodeJS.ProcessEnv): TestEnvironment {
  return {
    kafkaBrokers: brokerList(env.KAFKA_BROKERS ?? '127.0.0.1:9092'),
    kafkaSaslBrokers: brokerList(env.KAFKA_SASL_BROKERS ?? '127.0.0.1:9094'),
    kafkaSaslUsername: env.KAFKA_SASL_USERNAME ?? 'inlet-test',
    kafkaSaslPassword: env.KAFKA_SASL_PASSWORD ?? 'inlet-test-secret',
    kafkaSslBrokers: brokerList(env.KAFKA_SSL_BROKERS ?? '127.0.0.1:9095'),
    kafkaSslCaFile: env.KAFKA_SSL_CA_FILE,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}
