import { InletErrorCode, type OutgoingRecord, partitionForKey } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { recordAcks } from './record-acks';
import { placeRecords, RoundRobin } from './record-placement';

const counts = new Map([
  ['orders', 3],
  ['audit', 2],
]);
const keyed = (topic: string, key: string): OutgoingRecord => ({ topic, key: Buffer.from(key), value: null });
const unkeyed = (topic: string): OutgoingRecord => ({ topic, key: null, value: null });

describe('placeRecords', () => {
  it('places keys by murmur2, honours explicit partitions and counts positions per partition', () => {
    const records = [keyed('orders', 'a'), keyed('orders', 'a'), { ...keyed('orders', 'a'), partition: 2 }];
    const placed = placeRecords(records, counts, new RoundRobin());
    const a = partitionForKey(Buffer.from('a'), 3);
    expect(placed.map(({ partition, indexInPartition }) => [partition, indexInPartition])).toEqual([
      [a, 0],
      [a, 1],
      [2, a === 2 ? 2 : 0],
    ]);
  });

  it('spreads records without a key round-robin, per topic', () => {
    const placed = placeRecords(
      [unkeyed('orders'), unkeyed('orders'), unkeyed('audit'), unkeyed('orders'), unkeyed('orders')],
      counts,
      new RoundRobin(),
    );
    expect(placed.map((entry) => entry.partition)).toEqual([0, 1, 0, 2, 0]);
  });

  it('refuses a partition the topic does not have', () => {
    expect(() => placeRecords([{ ...unkeyed('audit'), partition: 2 }], counts, new RoundRobin())).toThrow(
      expect.objectContaining({ code: InletErrorCode.kafkaUnknownTopic, retryable: true }),
    );
  });
});

describe('recordAcks', () => {
  const records = [
    keyed('orders', 'x'),
    { ...unkeyed('orders'), partition: 1 },
    { ...unkeyed('audit'), partition: 0 },
  ];
  const placed = placeRecords(
    records.map((record, index) => ({
      ...record,
      partition: index === 0 ? 1 : (record.partition as number),
    })),
    counts,
    new RoundRobin(),
  );

  it('adds each record index within its partition to the partition base offset', () => {
    const acks = recordAcks(placed, [
      { topicName: 'orders', partition: 1, baseOffset: '9007199254740993' },
      { topicName: 'audit', partition: 0, baseOffset: '0' },
    ]);
    expect(acks).toEqual([
      { topic: 'orders', partition: 1, offset: '9007199254740993' },
      { topic: 'orders', partition: 1, offset: '9007199254740994' },
      { topic: 'audit', partition: 0, offset: '0' },
    ]);
  });

  it('gives -1 offsets without a response (acks 0)', () => {
    expect(recordAcks(placed, undefined).map((ack) => ack.offset)).toEqual(['-1', '-1', '-1']);
  });

  it('fails when the broker did not answer for a partition', () => {
    expect(() => recordAcks(placed, [{ topicName: 'orders', partition: 1, baseOffset: '0' }])).toThrow(
      expect.objectContaining({ code: InletErrorCode.kafkaProtocol, retryable: true }),
    );
  });
});
