import { randomFillSync } from 'node:crypto';

// RFC 9562 UUIDv7: 48-bit Unix milliseconds, version 7, then 74 random bits. Within one
// millisecond the 12-bit rand_a field is a counter (the RFC's "method 1"), so ids made by one
// generator sort in creation order; when it overflows, the timestamp is advanced by one.
export type UuidV7Generator = () => string;

export function createUuidV7Generator(now: () => number = Date.now): UuidV7Generator {
  let lastMillis = -1;
  let counter = 0;
  const random = Buffer.alloc(1024);
  let randomOffset = random.length;

  function randomBytes(count: number): Buffer {
    if (randomOffset + count > random.length) {
      randomFillSync(random);
      randomOffset = 0;
    }
    const slice = random.subarray(randomOffset, randomOffset + count);
    randomOffset += count;
    return slice;
  }

  return () => {
    let millis = now();
    if (millis <= lastMillis) {
      counter += 1;
      if (counter > 0xfff) {
        lastMillis += 1;
        counter = randomBytes(2).readUInt16BE(0) & 0x3ff;
      }
      millis = lastMillis;
    } else {
      lastMillis = millis;
      // Start low in the counter space so a burst has room to count up.
      counter = randomBytes(2).readUInt16BE(0) & 0x3ff;
    }
    const bytes = Buffer.allocUnsafe(16);
    bytes.writeUIntBE(millis, 0, 6);
    bytes[6] = 0x70 | (counter >>> 8);
    bytes[7] = counter & 0xff;
    randomBytes(8).copy(bytes, 8);
    bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
    const text = bytes.toString('hex');
    return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
  };
}

/** The instant a UUIDv7 was made, from its first 48 bits. */
export function uuidV7Time(id: string): Date {
  return new Date(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}

const uuidV7Pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isUuidV7(id: string): boolean {
  return uuidV7Pattern.test(id);
}
