import type { Schema, Type } from 'avsc';
import avsc from 'avsc';
import { ExactLongType } from './exact-integer-types';

/** The largest distance from the epoch a `Date` can hold, in milliseconds (ECMA-262 §21.4.1.1). */
const maxDateMillis = 8.64e15;

/**
 * `{ type: 'long', logicalType: 'timestamp-millis' }` as a `Date`.
 *
 * avsc only builds it for a long: the type hook in `avsc-type.ts` gives an `int` marked
 * `timestamp-millis` its plain type first, as the Avro specification asks for a logical type on
 * the wrong type (`FromAvroSchema` agrees: it is a `number`). Reading a plain `long` or `int`
 * written by an older schema gives a Date too; a writer's `timestamp-micros` is a plain long here,
 * so it would be read as milliseconds.
 */
export class TimestampMillisType extends avsc.types.LogicalType {
  constructor(schema: Schema, options?: unknown) {
    super(schema, options);
    // A guard only: avsc falls back to the underlying type when a logical type's constructor throws.
    if (this.underlyingType.typeName !== 'long') throw new Error('timestamp-millis annotates a long');
    // avsc built the underlying long itself (the type hook cannot tell that call from the outer
    // one); dates before about -140000 need the exact long. Logical types are not frozen.
    (this as unknown as { _underlyingType: Type })._underlyingType = new ExactLongType();
  }

  protected override _fromValue(millis: number): Date {
    // A long outside Date's range would decode to an Invalid Date: that is bad data, not a Date.
    if (Math.abs(millis) > maxDateMillis) {
      throw new Error(`timestamp-millis ${millis} is outside the range of a Date`);
    }
    return new Date(millis);
  }

  /** Returning `undefined` tells avsc the value is not one of ours (its union dispatch relies on it). */
  protected override _toValue(value: unknown): number | undefined {
    return value instanceof Date ? value.getTime() : undefined;
  }

  protected override _resolve(writer: Type): ((value: unknown) => unknown) | undefined {
    if (writer instanceof TimestampMillisType) return (value) => value;
    const writerType = writer.typeName;
    if (writerType === 'long' || writerType === 'int') return (millis) => this._fromValue(millis as number);
    return undefined;
  }
}
