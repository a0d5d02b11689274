// The same packages loaded from CommonJS, as an older application or a tool would: require()
// must give the CJS builds (with their .d.cts types) and the same API as the ESM builds.
import core = require('@inlet/core');
import producer = require('@inlet/producer');
import consumer = require('@inlet/consumer');

const loaded = { '@inlet/core': core, '@inlet/producer': producer, '@inlet/consumer': consumer };
const resolvedTo = Object.keys(loaded).map((name) => `${name} → ${require.resolve(name)}`);
const problems: string[] = [];
if (typeof core.defineEvent !== 'function') problems.push('@inlet/core has no defineEvent');
if (typeof core.ensureTopics !== 'function') problems.push('@inlet/core has no ensureTopics');
if (typeof producer.createProducer !== 'function') problems.push('@inlet/producer has no createProducer');
if (typeof consumer.createConsumer !== 'function') problems.push('@inlet/consumer has no createConsumer');
for (const line of resolvedTo) if (!line.endsWith('.cjs')) problems.push(`not the CJS build: ${line}`);

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
