import { InletErrorCode, InletValidationError } from '../errors';
import { parseRfc3339 } from './rfc3339';

/** What an event-time extractor may return: a Date, epoch milliseconds, or an RFC 3339 string. */
export type EventTimeInput = Date | number | string;

export interface EventTimeLimits {
  /** The earliest believable event time. Default 2000-01-01T00:00:00Z. */
  readonly earliest?: Date | number;
  /**
   * How far ahead of this machine's clock an event time may be. Default one hour, which is also
   * Kafka 4's default `log.message.timestamp.after.max.ms`: later times would be refused by the
   * broker anyway, with a far less helpful error.
   */
  readonly maxAheadMs?: number;
}

export const defaultEarliestEventTime = Date.UTC(2000, 0, 1);
export const defaultMaxAheadMs = 3_600_000;

function issue(eventType: string | undefined, message: string): InletValidationError {
  return new InletValidationError(InletErrorCode.invalidEventTime, eventType, [
    { path: '(event time)', message },
  ]);
}

function toMillis(input: unknown, eventType: string | undefined): number {
  if (input instanceof Date) {
    const millis = input.getTime();
    if (Number.isNaN(millis)) throw issue(eventType, 'is an Invalid Date');
    return millis;
  }
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw issue(eventType, `is ${input}, not a finite number of milliseconds`);
    return Math.trunc(input);
  }
  if (typeof input === 'string') {
    const millis = parseRfc3339(input);
    if (Number.isNaN(millis)) {
      throw issue(
        eventType,
        `"${input}" is not a real RFC 3339 timestamp with an offset (e.g. 2026-11-25T10:00:00Z)`,
      );
    }
    return millis;
  }
  const found = input === null ? 'null' : typeof input;
  throw issue(eventType, `must be a Date, epoch milliseconds or an RFC 3339 string, found ${found}`);
}

function outOfRange(
  input: unknown,
  millis: number,
  earliest: number,
  latest: number,
  now: number,
  eventType: string | undefined,
): InletValidationError {
  const inRange = (value: number) => value >= earliest && value <= latest;
  const shown = Math.abs(millis) < 8.64e15 ? new Date(millis).toISOString() : String(millis);
  let hint = '';
  if (typeof input === 'number' && inRange(millis * 1000))
    hint = '; it looks like seconds, Inlet wants milliseconds';
  else if (typeof input === 'number' && inRange(Math.trunc(millis / 1000))) {
    hint = '; it looks like microseconds, Inlet wants milliseconds';
  }
  const bounds = `${new Date(earliest).toISOString()} .. now + ${Math.round((latest - now) / 1000)}s`;
  return issue(eventType, `${shown} is outside the believable range ${bounds}${hint}`);
}

/**
 * Turns an event time into a Date, refusing what cannot be a real instant for an event: NaN,
 * non-dates, and times outside [earliest, now + maxAheadMs]. A value that would fit if it were
 * seconds or microseconds instead of milliseconds says so.
 */
export function toEventTime(
  input: unknown,
  limits: EventTimeLimits = {},
  now: number = Date.now(),
  eventType?: string,
): Date {
  const millis = toMillis(input, eventType);
  const earliest =
    limits.earliest instanceof Date
      ? limits.earliest.getTime()
      : (limits.earliest ?? defaultEarliestEventTime);
  const latest = now + (limits.maxAheadMs ?? defaultMaxAheadMs);
  if (millis < earliest || millis > latest) throw outOfRange(input, millis, earliest, latest, now, eventType);
  return new Date(millis);
}
