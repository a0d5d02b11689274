import { describe, expectTypeOf, it } from 'vitest';
import type { RawRecord, RecordHeader } from '../errors';
import type { EntityKey } from '../events/entity-key';
import type { IncomingRecord, OutgoingHeaders, OutgoingHeaderValue } from '../transport/transport';
import type { CreateEventOptions } from './create-event';
import type { EventHeaders, EventHeaderValue, InletEvent } from './inlet-event';

describe('envelope types', () => {
  it('gives decoded application headers as text, bytes or null, all values of a repeated name', () => {
    expectTypeOf<InletEvent['headers']>().toEqualTypeOf<EventHeaders>();
    expectTypeOf<EventHeaderValue>().toEqualTypeOf<string | Buffer | null>();
    const read = (event: InletEvent) => {
      const tenant = event.headers.tenant;
      expectTypeOf(tenant).toEqualTypeOf<EventHeaderValue | readonly EventHeaderValue[] | undefined>();
      if (typeof tenant === 'string') expectTypeOf(tenant).toBeString();
    };
    expectTypeOf(read).toBeFunction();
  });

  it('keeps subject, data schema and extensions on the event', () => {
    expectTypeOf<InletEvent['subject']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<InletEvent['dataSchema']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<InletEvent['extensions']>().toEqualTypeOf<Readonly<Record<string, string>>>();
    expectTypeOf<InletEvent['key']>().toEqualTypeOf<EntityKey>();
  });

  it('writes no header without a value: neither events nor records can be given one', () => {
    expectTypeOf<{ tenant: null }>().not.toMatchTypeOf<NonNullable<CreateEventOptions['headers']>>();
    expectTypeOf<{ tenant: ['a', null] }>().not.toMatchTypeOf<NonNullable<CreateEventOptions['headers']>>();
    expectTypeOf<{ tenant: 'acme'; hop: ['a', 'b']; sig: Buffer }>().toMatchTypeOf<
      NonNullable<CreateEventOptions['headers']>
    >();
    expectTypeOf<OutgoingHeaderValue>().toEqualTypeOf<Buffer | string>();
    expectTypeOf<{ flag: null }>().not.toMatchTypeOf<OutgoingHeaders>();
    expectTypeOf<{ hop: readonly string[] }>().toMatchTypeOf<OutgoingHeaders>();
  });

  it('reads record headers as they are on the wire', () => {
    expectTypeOf<RawRecord['headers'][string]>().toEqualTypeOf<Buffer | null>();
    expectTypeOf<IncomingRecord['headerList']>().toEqualTypeOf<readonly RecordHeader[]>();
    expectTypeOf<RecordHeader>().toEqualTypeOf<{ readonly name: string; readonly value: Buffer | null }>();
  });
});
