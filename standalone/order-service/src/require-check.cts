// The same packages loaded from CommonJS, as an older application or a tool would: require()
// must give the CJS builds (with their .d.cts types) and the same API as the ESM builds.
import core = require('@inlet/core');
import producer = require('@inlet/producer');
import consumer = require('@inlet/consumer');
import sinks = require('@inlet/sinks');
import postgresSink = require('@inlet/sinks/postgres');

// Each package and subpath entry, and the CJS build it must resolve to.
const loaded = {
  '@inlet/core': 'dist/index.cjs',
  '@inlet/producer': 'dist/index.cjs',
  '@inlet/consumer': 'dist/index.cjs',
  '@inlet/sinks': 'dist/index.cjs',
  '@inlet/sinks/postgres': 'dist/postgres.cjs',
};
const problems: string[] = [];
const resolvedTo = Object.entries(loaded).map(([name, build]) => {
  const path = require.resolve(name);
  if (!path.endsWith(`/${build}`)) problems.push(`${name} resolved to ${path}, not its CJS build ${build}`);
  return `${name} → ${path}`;
});
if (typeof core.defineEvent !== 'function') problems.push('@inlet/core has no defineEvent');
if (typeof core.ensureTopics !== 'function') problems.push('@inlet/core has no ensureTopics');
if (typeof producer.createProducer !== 'function') problems.push('@inlet/producer has no createProducer');
if (typeof consumer.createConsumer !== 'function') problems.push('@inlet/consumer has no createConsumer');
if (typeof sinks.createPipeline !== 'function') problems.push('@inlet/sinks has no createPipeline');
if (typeof postgresSink.createPostgresSink !== 'function') {
  problems.push('@inlet/sinks/postgres has no createPostgresSink');
}

const event = core.defineEvent({
  type: 'cjs.checked',
  version: 1,
  schema: core.jsonSchema({
    type: 'object',
    properties: { id: { type: 'string' }, at: { type: 'string' } },
    required: ['id', 'at'],
  }),
  key: (data) => data.id,
  eventTime: (data) => data.at,
});
if (event.type !== 'cjs.checked') problems.push('defineEvent from CJS gave a wrong definition');

if (problems.length > 0) {
  console.error(`require() of the installed packages: FAILED\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log(`require() of the installed packages: OK\n  ${resolvedTo.join('\n  ')}`);
}
