import avsc from 'avsc';

/** avsc's bounds for a `long` held in a number (one inside `Number.MAX_SAFE_INTEGER`). */
const maxLong = 9_007_199_254_740_990;
const maxLongBig = BigInt(maxLong);
/** Within this magnitude avsc's own long arithmetic is exact in both directions. */
const exactByAvsc = 2 ** 52;

interface Tap {
  buf: Buffer;
  pos: number;
  readInt(): number;
  writeLong(value: number): void;
}

/**
 * avsc's `int`, refusing to decode a varint outside 32 bits: avsc reads an int as a long and
 * would hand out 4294967297 as an int (which `validate` then rejects).
 */
export class CheckedIntType extends avsc.types.IntType {
  _read(tap: Tap): number {
    const value = tap.readInt();
    if (value !== (value | 0)) throw new Error(`invalid int: ${value} does not fit in 32 bits`);
    return value;
  }
}

/**
 * avsc's `long` with exact encoding of every value it accepts.
 *
 * avsc zig-zag encodes large longs in floating point: a negative long below -2^52 needs an odd
 * number above 2^53, which a double cannot hold, so avsc writes -4503599627370497 and reads back
 * 4503599627370496 (and reads such values written by other Avro libraries wrong too). Values
 * within ±2^52 keep avsc's fast path; the rest go through BigInt. The type name stays `long`, so
 * unions and schema resolution treat it exactly as avsc's own.
 */
export class ExactLongType extends avsc.types.LongType {
  _read(tap: Tap): number {
    const { buf } = tap;
    let pos = tap.pos;
    let small = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = buf[pos++] as number;
      small |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 28);
    if (!(byte & 0x80)) {
      tap.pos = pos;
      return (small >>> 1) ^ -(small & 1);
    }
    return readLargeLong(tap);
  }

  _write(tap: Tap, value: unknown): void {
    if (typeof value !== 'number' || value % 1 !== 0 || Math.abs(value) > maxLong) {
      throw new Error(`invalid "long": ${String(value)}`);
    }
    if (Math.abs(value) <= exactByAvsc) {
      tap.writeLong(value);
      return;
    }
    const big = BigInt(value);
    let zigZag = big >= 0n ? big << 1n : (-big << 1n) - 1n;
    // Bytes past the end of the buffer are dropped, as avsc's own writers do: the caller sees the
    // position run past the end and retries with a buffer large enough.
    while (zigZag >= 0x80n) {
      tap.buf[tap.pos++] = Number(zigZag & 0x7fn) | 0x80;
      zigZag >>= 7n;
    }
    tap.buf[tap.pos++] = Number(zigZag);
  }
}

function readLargeLong(tap: Tap): number {
  const { buf } = tap;
  let pos = tap.pos;
  let zigZag = 0n;
  let shift = 0n;
  let byte: number;
  do {
    // Past the end `byte` is undefined, which ends the loop; the caller sees the position overrun.
    byte = buf[pos++] as number;
    zigZag |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (shift > 70n) throw new Error('invalid long: more than 10 bytes');
  } while (byte & 0x80);
  tap.pos = pos;
  const value = (zigZag >> 1n) ^ -(zigZag & 1n);
  if (value > maxLongBig || value < -maxLongBig) throw new Error('potential precision loss');
  return Number(value);
}
