import { createEvent, defineEvent, defineTopic, jsonSchema, type TopicEvent } from '@inlet/core';
import type { SinkChange } from '../sink';

/** The quick start's order, with a status, a total and its lines. */
export const OrderUpdated = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      status: { type: 'string' },
      revision: { type: 'integer' },
      at: { type: 'string', format: 'date-time' },
      total: { type: 'number' },
      lines: { type: 'array', items: { type: 'string' } },
    },
    required: ['orderId', 'status', 'revision', 'at'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.at,
  entityVersion: (order) => order.revision,
});

export const orders = defineTopic({ name: 'pg-sink-orders', events: [OrderUpdated] });
export type OrderEvent = TopicEvent<typeof orders>;

export function orderChange(
  orderId: string,
  revision: number,
  status: string,
  offset: string,
): SinkChange<OrderEvent> {
  const event = createEvent(
    OrderUpdated,
    { orderId, status, revision, at: new Date().toISOString(), total: 2.5, lines: ['a', 'b\tc'] },
    { source: 'urn:test' },
  ) as OrderEvent;
  return { kind: 'upsert', event, key: orderId, entityVersion: revision, offset };
}

/** A meter's reading: the meter is the key, `seq` its entity version. */
export const MeterReading = defineEvent({
  type: 'meter.reading',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { meter: { type: 'string' }, seq: { type: 'integer' }, value: { type: 'string' } },
    required: ['meter', 'seq', 'value'],
    additionalProperties: false,
  }),
  key: (reading) => reading.meter,
  eventTime: () => new Date(),
  entityVersion: (reading) => reading.seq,
});

export function meterTopic(name: string, partitions = 3) {
  return defineTopic({ name, events: [MeterReading], partitions });
}

/** One reading of each of `meters` meters (`m-0`…), at `seq`, valued `<meter>@<seq>`. */
export function meterRound(meters: number, seq: number) {
  return Array.from({ length: meters }, (_, meter) => ({
    type: 'meter.reading' as const,
    data: { meter: `m-${meter}`, seq, value: `${meter}@${seq}` },
  }));
}

/**
 * A table of how often the sink proposed each (key, version) for writing, counted by a trigger
 * before each row insert (it fires for a proposed row also when the version guard then keeps the
 * row as it is, and its count rolls back with a failed transaction): a change proposed twice
 * was written twice, whatever the guard made of it.
 */
export function attemptCounterStatements(table: string): string[] {
  return [
    `create table ${table}_attempts (key text not null, entity_version bigint not null, attempts integer not null, primary key (key, entity_version))`,
    `create function ${table}_count() returns trigger language plpgsql as $$ begin
       insert into ${table}_attempts values (new.key, new.entity_version, 1)
       on conflict (key, entity_version) do update set attempts = ${table}_attempts.attempts + 1;
       return new; end $$`,
    `create trigger ${table}_counter before insert on ${table} for each row execute function ${table}_count()`,
  ];
}

export function dropAttemptCounter(table: string): string {
  return `drop table if exists ${table}, ${table}_attempts; drop function if exists ${table}_count() cascade`;
}
