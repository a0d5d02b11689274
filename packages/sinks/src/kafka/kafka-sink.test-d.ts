import type { InletProducer } from '@inlet/producer';
import { describe, expectTypeOf, it } from 'vitest';
import { readingsTopic } from './fixtures/readings.fixture';
import { createKafkaSink } from './kafka-sink';

declare const producer: InletProducer;
const input = readingsTopic('in');
const output = readingsTopic('out');

describe('createKafkaSink types', () => {
  it('types map by the input topics and the output topic', () => {
    createKafkaSink({
      producer,
      topic: output,
      topics: [input],
      map: (event) => {
        expectTypeOf(event.data).toEqualTypeOf<{ meter: string; seq: number }>();
        return event.data.seq > 0 ? { type: 'meter.reading', data: event.data } : undefined;
      },
    });
    createKafkaSink({
      producer,
      topic: output,
      topics: [input],
      // @ts-expect-error the output topic has no such event
      map: (event) => ({ type: 'meter.other', data: event.data }),
    });
    createKafkaSink({
      producer,
      topic: output,
      topics: [input],
      // @ts-expect-error the data does not fit the output event
      map: () => ({ type: 'meter.reading', data: { meter: 1 } }),
    });
  });
});
