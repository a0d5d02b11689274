// Records written by kcat (librdkafka's command-line client), a producer that is not Inlet, read
// back from a real broker through the kafkajs transport and decoded.
import { execFile } from 'node:child_process';
import {
  createEvent,
  decodeEventRecord,
  encodeEventRecord,
  entityKeyId,
  type IncomingRecord,
  InletDecodeError,
  InletErrorCode,
  type KafkaTransport,
} from '@inlet/core';
import { eventually, testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateOpened, gate, gates } from './fixtures/gates.fixture';
import { createKafkaJsTransport } from './kafkajs-transport';

const environment = testEnvironment();
const brokers = [...environment.kafkaBrokers];

/** A shell word: bytes that are not UTF-8 as bash ANSI-C escapes, everything else single-quoted. */
function shellWord(word: string | Buffer): string {
  if (Buffer.isBuffer(word) && isUtf8(word)) return shellWord(word.toString('utf8'));
  if (typeof word === 'string') return `'${word.replaceAll("'", `'\\''`)}'`;
  return `$'${[...word].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')}'`;
}

/**
 * Produces one record with kcat. Node writes every argument as UTF-8, so a header with other bytes
 * goes through bash, whose $'\xff' quoting puts the raw byte in kcat's argv. `-H name` without
 * `=` writes a header with no value.
 */
function kcat(
  topic: string,
  record: { key: string; value: string; headers: readonly (readonly [string, string | Buffer | null])[] },
): Promise<void> {
  const args: (string | Buffer)[] = ['-P', '-b', brokers.join(','), '-t', topic, '-k', record.key];
  // murmur2_random places keys as the Java client and Inlet do.
  args.push('-X', 'partitioner=murmur2_random', '-c', '1', '-D', '\u0001');
  for (const [name, value] of record.headers) {
    args.push('-H', value === null ? name : Buffer.concat([Buffer.from(`${name}=`), Buffer.from(value)]));
  }
  const script = `exec kcat ${args.map(shellWord).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = execFile('bash', ['-c', script], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`kcat failed: ${stderr || error.message}`));
      else resolve();
    });
    child.stdin?.end(record.value);
  });
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const binaryModeHeaders = (id: string, time = '2026-11-25T11:59:00Z'): [string, string][] => [
  ['ce_specversion', '1.0'],
  ['ce_id', id],
  ['ce_source', '/kcat'],
  ['ce_type', 'gate.opened'],
  ['ce_time', time],
  ['content-type', 'application/json'],
];

describe('records written by kcat', () => {
  let transport: KafkaTransport;
  beforeAll(() => {
    transport = createKafkaJsTransport({ brokers, clientId: 'inlet-foreign-records-test' });
  });
  afterAll(async () => {
    await transport.close();
  });

  async function topicWith(partitions: number): Promise<string> {
    const topic = uniqueName('foreign-records');
    await transport.admin().createTopics([{ topic, partitions }]);
    return topic;
  }

  async function readAll(topic: string, count: number): Promise<IncomingRecord[]> {
    const consumer = transport.consumer({ groupId: uniqueName('foreign-reader'), maxWaitTimeMs: 100 });
    const records: IncomingRecord[] = [];
    try {
      await consumer.subscribe([topic]);
      await consumer.run({
        onBatch: async (batch) => {
          records.push(...batch.records);
        },
      });
      await eventually(() => (records.length >= count ? true : undefined), {
        timeoutMs: 30_000,
        what: `${count} records on ${topic}`,
      });
    } finally {
      await consumer.close();
    }
    return records.sort((a, b) => Number(a.offset) - Number(b.offset));
  }

  it('decodes a structured-mode CloudEvent', async () => {
    const topic = await topicWith(1);
    const envelope = {
      specversion: '1.0',
      id: 'kcat-structured-1',
      source: '/kcat',
      type: 'gate.opened',
      time: '2026-11-25T11:59:00.123456789012Z',
      subject: 'gate/north',
      comexampleext: 'value',
      entityversion: 5,
      datacontenttype: 'application/json',
      data: gate,
    };
    await kcat(topic, {
      key: 'o-gate',
      value: JSON.stringify(envelope),
      headers: [['content-type', 'application/cloudevents+json; charset=UTF-8']],
    });
    const [record] = await readAll(topic, 1);
    const event = decodeEventRecord(record as IncomingRecord, gates);
    expect(event).toMatchObject({
      id: 'kcat-structured-1',
      source: '/kcat',
      key: 'o-gate',
      subject: 'gate/north',
      extensions: { comexampleext: 'value' },
      entityVersion: 5,
      data: gate,
    });
    expect(event.eventTime.getTime()).toBe(Date.UTC(2026, 10, 25, 11, 59, 0, 123));
  });

  it('decodes binary mode with a header that has no value, a binary header and a repeated one', async () => {
    const topic = await topicWith(1);
    const signature = Buffer.from([0xff, 0xfe, 0x80, 0x01]);
    await kcat(topic, {
      key: 'o-gate',
      value: JSON.stringify(gate),
      headers: [
        ...binaryModeHeaders('kcat-binary-1'),
        ['x-flag', null],
        ['x-signature', signature],
        ['x-hop', 'edge'],
        ['x-hop', 'core'],
      ],
    });
    const [record] = (await readAll(topic, 1)) as [IncomingRecord];
    expect(record.headers['x-flag']).toBeNull();
    expect(
      record.headerList.filter((header) => header.name === 'x-hop').map((header) => String(header.value)),
    ).toEqual(['edge', 'core']);
    const event = decodeEventRecord(record, gates);
    expect(event.headers['x-flag']).toBeNull();
    expect(event.headers['x-signature']).toEqual(signature);
    expect(event.headers['x-hop']).toEqual(['edge', 'core']);
    // Re-sending it as is cannot work (no client here can write a header without a value): said, not hidden.
    expect(() => encodeEventRecord(topic, event, GateOpened)).toThrow(
      expect.objectContaining({ code: InletErrorCode.validationFailed }),
    );
  });

  it('reads the same entity from an Inlet record and a kcat record with the same key', async () => {
    const topic = await topicWith(3);
    const fromInlet = createEvent(GateOpened, gate, { source: 'urn:inlet:test' });
    const producer = transport.producer();
    try {
      await producer.send([encodeEventRecord(topic, fromInlet, GateOpened)]);
    } finally {
      await producer.close();
    }
    await kcat(topic, {
      key: 'o-gate',
      value: JSON.stringify({ ...gate, revision: 3 }),
      headers: binaryModeHeaders('kcat-stale-1'),
    });
    const records = await readAll(topic, 2);
    const events = records.map((record) => decodeEventRecord(record, gates));
    expect(events.map((event) => event.key)).toEqual(['o-gate', 'o-gate']);
    expect(new Set(events.map((event) => entityKeyId(event.key))).size).toBe(1);
    expect(new Set(records.map((record) => record.partition)).size).toBe(1);
    expect(events.map((event) => event.entityVersion).sort()).toEqual([3, 5]);
  });

  it('refuses a record that repeats ce_id, naming the header', async () => {
    const topic = await topicWith(1);
    await kcat(topic, {
      key: 'o-gate',
      value: JSON.stringify(gate),
      headers: [...binaryModeHeaders('first'), ['ce_id', 'second']],
    });
    const [record] = (await readAll(topic, 1)) as [IncomingRecord];
    let error: unknown;
    try {
      decodeEventRecord(record, gates);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InletDecodeError);
    expect(error).toMatchObject({ code: InletErrorCode.malformedPayload });
    expect((error as Error).message).toContain('ce_id occurs more than once');
  });
});
