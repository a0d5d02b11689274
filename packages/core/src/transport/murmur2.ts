// Kafka's default partitioner for keyed records: murmur2 (seed 0x9747b28c) over the key bytes,
// made positive by masking the sign bit, modulo the partition count. The Java client and
// librdkafka's `murmur2_random` partitioner place keys this way, so Inlet must too.
const seed = 0x9747b28c;
const m = 0x5bd1e995;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = seed ^ length;
  const blocks = length - (length % 4);
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length % 4;
  if (tail === 3) h ^= (data[blocks + 2] as number) << 16;
  if (tail >= 2) h ^= (data[blocks + 1] as number) << 8;
  if (tail >= 1) {
    h ^= data[blocks] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a key. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
