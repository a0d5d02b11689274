import type { Socket } from 'node:net';

// Kafka protocol numbers used by the probe (https://kafka.apache.org/protocol).
const saslHandshakeApiKey = 17;
// v1 is the oldest SaslHandshake version Kafka 4 still accepts (KIP-896), and every broker
// since 1.0 knows it.
const saslHandshakeVersion = 1;
const probeCorrelationId = 0x1e7;
const illegalSaslState = 34;
const unsupportedSaslMechanism = 33;

/** What a listener answered to a SaslHandshake sent as the very first request. */
export type SaslHandshakeAnswer =
  /** No Kafka answer: closed, reset, timed out, or bytes that are not a Kafka response. */
  | { readonly answered: false }
  /** A Kafka response: the listener speaks the Kafka protocol over this kind of connection. */
  | {
      readonly answered: true;
      /** The mechanisms it offers, or undefined when it refused SASL (ILLEGAL_SASL_STATE). */
      readonly saslMechanisms: readonly string[] | undefined;
    };

function kafkaString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function saslHandshakeRequest(clientId: string): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt16BE(saslHandshakeApiKey, 0);
  header.writeInt16BE(saslHandshakeVersion, 2);
  header.writeInt32BE(probeCorrelationId, 4);
  const body = Buffer.concat([header, kafkaString(clientId), kafkaString('PLAIN')]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function readAnswer(frame: Buffer): SaslHandshakeAnswer {
  if (frame.length < 6 || frame.readInt32BE(0) !== probeCorrelationId) return { answered: false };
  const errorCode = frame.readInt16BE(4);
  if (errorCode === illegalSaslState) return { answered: true, saslMechanisms: undefined };
  if (errorCode !== 0 && errorCode !== unsupportedSaslMechanism) return { answered: false };
  const mechanisms: string[] = [];
  let offset = 10;
  const count = frame.length >= 10 ? frame.readInt32BE(6) : 0;
  for (let index = 0; index < count && offset + 2 <= frame.length; index += 1) {
    const length = frame.readInt16BE(offset);
    mechanisms.push(frame.toString('utf8', offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return { answered: true, saslMechanisms: mechanisms };
}

// A SaslHandshake response is a few dozen bytes; anything claiming more is not one.
const largestPlausibleAnswer = 4_096;

/**
 * Opens a connection with `open` (plain or TLS, whatever the caller needs to learn about) and
 * sends a SaslHandshake as its first request: a listener without SASL answers
 * ILLEGAL_SASL_STATE, one with SASL lists its mechanisms, and a port that does not speak
 * Kafka over that kind of connection gives no Kafka answer at all. Nothing is authenticated and
 * no credentials are sent; the connection is closed once the answer is in.
 */
export function probeSaslHandshake(
  open: (onConnect: () => void) => Socket,
  options: { readonly clientId: string; readonly timeoutMs: number },
): Promise<SaslHandshakeAnswer> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let socket: Socket | undefined;
    const finish = (answer: SaslHandshakeAnswer) => {
      clearTimeout(timer);
      socket?.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ answered: false }), options.timeoutMs);
    try {
      socket = open(() => socket?.write(saslHandshakeRequest(options.clientId)));
    } catch {
      finish({ answered: false });
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (size < 0 || size > largestPlausibleAnswer) finish({ answered: false });
      else if (received.length >= size + 4) finish(readAnswer(received.subarray(4, size + 4)));
    });
    socket.on('error', () => finish({ answered: false }));
    socket.on('end', () => finish({ answered: false }));
  });
}
