import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './murmur2';

// Expected values computed with the Java client itself:
// org.apache.kafka.common.utils.Utils.murmur2 / toPositive from kafka-clients 4.4.0.
const javaCases: ReadonlyArray<[string, number, number, number]> = [
  ['21', -973932308, 0, 3],
  ['foobar', -790332482, 0, 0],
  ['a-little-bit-long-string', -985981536, 2, 1],
  ['a-little-bit-longer-string', -1486304829, 2, 0],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971, 2, 3],
  ['abc', 479470107, 0, 4],
  ['', 275646681, 0, 2],
  ['order-1', 1221710326, 1, 4],
  ['ключ-🔑', 1313857076, 2, 0],
];

describe('murmur2', () => {
  it.each(javaCases)('matches the Java client for %j', (key, hash, of3, of7) => {
    const bytes = Buffer.from(key, 'utf8');
    expect(murmur2(bytes)).toBe(hash);
    expect(partitionForKey(bytes, 3)).toBe(of3);
    expect(partitionForKey(bytes, 7)).toBe(of7);
  });

  it('always yields a partition in range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (key, partitions) => {
        const partition = partitionForKey(key, partitions);
        return Number.isInteger(partition) && partition >= 0 && partition < partitions;
      }),
    );
  });
});
