import type { Type } from 'avsc';
import avsc from 'avsc';
import { isWellFormedText, type MapKeyMarker, mapKeyMarker } from './well-formed-strings';

/**
 * Arrays and maps that stop reading as soon as the bytes run out.
 *
 * avsc trusts an array or map's item count and only checks for truncation once the whole value
 * has been read: a corrupt count of 2^40 in a five-byte payload keeps it looping (and allocating)
 * long after the buffer ended. Consumers decode bytes from the network, so these subclasses check
 * after every item: each item of a non-empty type moves the position forward, so reading is
 * bounded by the payload's length. Items that take no bytes at all (`null`, `fixed` of size 0,
 * records of those) cannot be bounded that way; a block of more than
 * {@link maxZeroSizeItemsPerBlock} of them is refused.
 *
 * Maps also refuse, in `_check`, keys that UTF-8 cannot carry (see `well-formed-strings.ts`).
 *
 * The overridden `_read`, `_skip` and `_check` are avsc internals (stable in the pinned avsc
 * 5.7.9). They are called with `this` set to the type, or to a resolver with the same members.
 */

export const maxZeroSizeItemsPerBlock = 1_000_000;

/** avsc's read cursor over a buffer. */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
  skipString(): void;
}

interface ItemCodec {
  _read(tap: Tap): unknown;
  _skip(tap: Tap): void;
}

/** Thrown when the bytes end before the value does; the codec reports it as `truncated`. */
export class AvroTruncatedError extends Error {
  override readonly name: string = 'AvroTruncatedError';
}

function assertInBounds(tap: Tap): void {
  if (tap.pos > tap.buf.length) throw new AvroTruncatedError('truncated buffer');
}

/**
 * Reads every block of an array or map (Avro 1.11 §"Complex types": a count, then that many
 * items; a negative count is followed by the block's size in bytes; a zero count ends it).
 */
function forEachItem(tap: Tap, readItem: () => void): void {
  for (;;) {
    let count = tap.readLong();
    assertInBounds(tap);
    if (count === 0) return;
    if (count < 0) {
      count = -count;
      tap.skipLong();
    }
    if (!Number.isSafeInteger(count)) throw new Error(`invalid block item count ${count}`);
    for (let index = 0; index < count; index++) {
      const start = tap.pos;
      readItem();
      assertInBounds(tap);
      if (tap.pos === start && count > maxZeroSizeItemsPerBlock) {
        throw new Error(
          `a block of ${count} items that take no bytes exceeds the limit of ${maxZeroSizeItemsPerBlock}`,
        );
      }
    }
  }
}

/** Own property even for `__proto__`, which a plain assignment would turn into a prototype change. */
function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export class BoundedArrayType extends avsc.types.ArrayType {
  _read(this: { readonly itemsType: ItemCodec }, tap: Tap): unknown[] {
    const items = this.itemsType;
    const values: unknown[] = [];
    forEachItem(tap, () => {
      values.push(items._read(tap));
    });
    return values;
  }

  _skip(this: { readonly itemsType: ItemCodec }, tap: Tap): void {
    const items = this.itemsType;
    forEachItem(tap, () => items._skip(tap));
  }
}

type ErrorHook = (value: unknown, type: Type | MapKeyMarker) => void;

const checkMap = avsc.types.MapType.prototype as unknown as {
  _check(this: unknown, value: unknown, flags: unknown, hook?: ErrorHook, path?: string[]): boolean;
};

export class BoundedMapType extends avsc.types.MapType {
  _check(value: unknown, flags: unknown, hook?: ErrorHook, path?: string[]): boolean {
    const valuesValid = checkMap._check.call(this, value, flags, hook, path);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return valuesValid;
    let keysValid = true;
    for (const key of Object.keys(value)) {
      if (isWellFormedText(key)) continue;
      keysValid = false;
      if (hook === undefined || path === undefined) break;
      path.push(key);
      hook(key, mapKeyMarker);
      path.pop();
    }
    return valuesValid && keysValid;
  }

  _read(this: { readonly valuesType: ItemCodec }, tap: Tap): Record<string, unknown> {
    const values = this.valuesType;
    const entries: Record<string, unknown> = {};
    forEachItem(tap, () => {
      const key = tap.readString();
      setEntry(entries, key, values._read(tap));
    });
    return entries;
  }

  _skip(this: { readonly valuesType: ItemCodec }, tap: Tap): void {
    const values = this.valuesType;
    forEachItem(tap, () => {
      tap.skipString();
      values._skip(tap);
    });
  }
}
