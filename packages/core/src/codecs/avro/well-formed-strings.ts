import type { Type } from 'avsc';
import avsc from 'avsc';

/** A UTF-16 code unit of a surrogate pair standing alone: `\p{Cs}` matches only unpaired ones under `u`. */
const loneSurrogate = /\p{Cs}/u;

/**
 * False for a string with a lone surrogate (e.g. an emoji cut in half). Such a string has no UTF-8
 * form: avsc would write bytes that decode to U+FFFD, so the value read back is not the value
 * written. `validate` refuses it instead.
 */
export function isWellFormedText(text: string): boolean {
  return !loneSurrogate.test(text);
}

type ErrorHook = (value: unknown, type: Type | MapKeyMarker) => void;

/** avsc's `string`, refusing text that UTF-8 cannot carry. */
export class WellFormedStringType extends avsc.types.StringType {
  _check(value: unknown, _flags: unknown, hook?: ErrorHook): boolean {
    const valid = typeof value === 'string' && isWellFormedText(value);
    if (!valid && hook !== undefined) hook(value, this);
    return valid;
  }
}

/** Stands for "a map key" where avsc's error hook expects the type that failed. */
export interface MapKeyMarker {
  readonly typeName: 'map key';
}

export const mapKeyMarker: MapKeyMarker = Object.freeze({ typeName: 'map key' });

export function isMapKeyMarker(value: unknown): value is MapKeyMarker {
  return value === mapKeyMarker;
}
