// An Avro topic for the end-to-end tests of tail with a schema registry; the name comes from the test.
import { avroSchema, defineEvent, defineTopic } from '@inlet/core';

export const ReadingTaken = defineEvent({
  type: 'reading.taken',
  version: 1,
  schema: avroSchema({
    type: 'record',
    name: 'ReadingTaken',
    namespace: 'test.cli',
    fields: [
      { name: 'sensorId', type: 'string' },
      { name: 'celsius', type: 'double' },
      { name: 'at', type: 'string' },
    ],
  }),
  key: (reading) => reading.sensorId,
  eventTime: (reading) => reading.at,
});

export const readings = defineTopic({
  name: process.env.INLET_E2E_TOPIC ?? 'inlet-e2e-readings',
  events: [ReadingTaken],
});
