import { randomFillSync } from 'node:crypto';

// RFC 9562 UUIDv7: 48-bit Unix milliseconds, version 7, then 74 random bits. Within one
// millisecond the 12-bit rand_a field is a counter (the RFC's "method 1"), so ids made by one
// generator sort in creation order; when it overflows, the timestamp is advanced by one.
export type UuidV7Generator = () => string;

const hexCodes = Buffer.from(
  Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0')).join(''),
  'latin1',
);

// Writes `byte` as two hex digits at `at`; returns the position after them.
function putHex(text: Buffer, at: number, byte: number): number {
  text[at] = hexCodes[byte * 2] as number;
  text[at + 1] = hexCodes[byte * 2 + 1] as number;
  return at + 2;
}

export function createUuidV7Generator(now: () => number = Date.now): UuidV7Generator {
  let lastMillis = -1;
  let counter = 0;
  const random = Buffer.alloc(4096);
  let randomOffset = random.length;
  const text = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

  // Offset of `count` fresh random bytes in `random`.
  function take(count: number): number {
    if (randomOffset + count > random.length) {
      randomFillSync(random);
      randomOffset = 0;
    }
    randomOffset += count;
    return randomOffset - count;
  }

  return () => {
    let millis = now();
    if (millis <= lastMillis) {
      counter += 1;
      if (counter > 0xfff) {
        lastMillis += 1;
        counter = random.readUInt16BE(take(2)) & 0x3ff;
      }
      millis = lastMillis;
    } else {
      lastMillis = millis;
      // Start low in the counter space so a burst has room to count up.
      counter = random.readUInt16BE(take(2)) & 0x3ff;
    }
    const high = Math.floor(millis / 0x1000000);
    const low = millis % 0x1000000;
    const r = take(8);
    let at = putHex(text, 0, (high >>> 16) & 0xff);
    at = putHex(text, at, (high >>> 8) & 0xff);
    at = putHex(text, at, high & 0xff);
    at = putHex(text, at, (low >>> 16) & 0xff);
    at = putHex(text, at + 1, (low >>> 8) & 0xff);
    at = putHex(text, at, low & 0xff);
    at = putHex(text, at + 1, 0x70 | (counter >>> 8));
    at = putHex(text, at, counter & 0xff);
    at = putHex(text, at + 1, 0x80 | ((random[r] as number) & 0x3f));
    at = putHex(text, at, random[r + 1] as number);
    at += 1;
    for (let index = 2; index < 8; index += 1) at = putHex(text, at, random[r + index] as number);
    // One flat string read from bytes: a template literal would leave a tree of string pieces,
    // several times the size, alive for as long as the event is.
    return text.toString('latin1', 0, 36);
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
