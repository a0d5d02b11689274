#!/usr/bin/env node
// Asks a Kafka broker for its metadata over the raw protocol (no node_modules needed), so the
// server scripts can tell "port open" from "broker really serving". Exit 0 when the broker
// answers a Metadata v4 request listing at least one broker; 1 otherwise.
import net from 'node:net';

const [host = '127.0.0.1', portText = '9092'] = (process.argv[2] ?? '127.0.0.1:9092').split(':');
const port = Number(portText);
const timeoutMs = Number(process.env.PROBE_TIMEOUT_MS ?? 3000);

function metadataRequestV4(correlationId) {
  const clientId = Buffer.from('inlet-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(3, o); // api key: Metadata
  o = body.writeInt16BE(4, o); // version 4 (v0-v3 are gone in Kafka 4)
  o = body.writeInt32BE(correlationId, o);
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(-1, o); // topics: null = all
  body.writeInt8(0, o); // allow_auto_topic_creation
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

const correlationId = 7331;
const socket = net.connect({ host, port });
let received = Buffer.alloc(0);
const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);

function finish(ok, reason) {
  clearTimeout(timer);
  socket.destroy();
  if (!ok && process.env.PROBE_VERBOSE) console.error(`probe ${host}:${port}: ${reason}`);
  process.exit(ok ? 0 : 1);
}

socket.on('connect', () => socket.write(metadataRequestV4(correlationId)));
socket.on('error', (error) => finish(false, error.message));
socket.on('data', (chunk) => {
  received = Buffer.concat([received, chunk]);
  if (received.length < 4) return;
  const size = received.readInt32BE(0);
  if (received.length < 4 + size) return;
  // response: correlation id, throttle_time_ms, brokers array length
  const answeredId = received.readInt32BE(4);
  const brokerCount = received.readInt32BE(12);
  finish(answeredId === correlationId && brokerCount > 0, `brokers=${brokerCount}`);
});
