import { serverScriptOutput } from './servers';

/** A Kafka broker of a test's own, on its own ports, that the test may stop, kill and restart. */
export interface DedicatedBroker {
  readonly brokers: readonly string[];
  readonly port: number;
  /** Clean shutdown, then start again on the same data. */
  restart(): Promise<void>;
  /** SIGKILL: the broker dies without a clean shutdown. */
  kill(): Promise<void>;
  /**
   * SIGSTOP: the broker hangs with its sockets open (connections are accepted, nothing answers),
   * like a broker in a long GC pause. `thaw` resumes it; `stop`, `restart` and `remove` thaw first.
   */
  freeze(): Promise<void>;
  /** SIGCONT: a frozen broker carries on where it stopped. */
  thaw(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

function portFor(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  // Four ports each (plain, controller, SASL, SSL), away from the shared broker's 9092-9095.
  return 19_100 + (hash % 200) * 5;
}

/**
 * Starts a fresh broker for one test file (named, so parallel files get different ports), for
 * fault tests that restart, kill or freeze it without disturbing the shared broker.
 */
export async function startDedicatedBroker(name: string): Promise<DedicatedBroker> {
  const port = portFor(name);
  const env = { ...process.env, INLET_KAFKA_PORT: String(port) };
  const script = (command: string) => serverScriptOutput('kafka', command, env);
  await script('reset');
  await script('start');
  return {
    brokers: [`127.0.0.1:${port}`],
    port,
    restart: async () => {
      await script('stop');
      await script('start');
    },
    kill: async () => {
      await script('kill');
    },
    freeze: async () => {
      await script('freeze');
    },
    thaw: async () => {
      await script('thaw');
    },
    start: async () => {
      await script('start');
    },
    stop: async () => {
      await script('stop');
    },
    remove: async () => {
      await script('reset');
    },
  };
}
