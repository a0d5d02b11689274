import { parseArgs } from 'node:util';
import { defaultTestEnvironment } from '@inlet/test-support/environment';
import { checkKafkaStreamsWindowedCount } from './windowed-count-check';

// pnpm exec tsx bench/src/peers/check-kafka-streams.ts [--events N] [--keys N] [--runs N]
//   [--guarantee at_least_once|exactly_once_v2] [--emit-interval-ms MS]
// Produces Avro orders, runs the Kafka Streams peer over them `runs` times, checks every window
// count it wrote and prints each run's ArmRun with records per wall second and per CPU second.

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    keys: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '1' },
    guarantee: { type: 'string', default: 'at_least_once' },
    'emit-interval-ms': { type: 'string' },
  },
});
const guarantee = values.guarantee;
if (guarantee !== 'at_least_once' && guarantee !== 'exactly_once_v2') {
  throw new Error('--guarantee must be at_least_once or exactly_once_v2');
}
const environment = defaultTestEnvironment(process.env);
const runs = await checkKafkaStreamsWindowedCount({
  brokers: environment.kafkaBrokers,
  schemaRegistryUrl: environment.schemaRegistryUrl,
  events: Number(values.events),
  keys: Number(values.keys),
  runs: Number(values.runs),
  processingGuarantee: guarantee,
  ...(values['emit-interval-ms'] === undefined ? {} : { emitIntervalMs: Number(values['emit-interval-ms']) }),
});
let failed = false;
for (const { run, expectedWindows, mismatches, duplicates } of runs) {
  const recordsPerWallSecond = run.work / (run.wallSeconds ?? Number.NaN);
  const recordsPerCpuSecond = run.work / (run.childCpuSeconds ?? Number.NaN);
  const processingCpu = run.extra?.processingCpuSeconds ?? Number.NaN;
  console.log(
    JSON.stringify({
      guarantee,
      run,
      expectedWindows,
      recordsPerWallSecond: Math.round(recordsPerWallSecond),
      recordsPerCpuSecond: Math.round(recordsPerCpuSecond),
      recordsPerProcessingCpuSecond: Math.round(run.work / processingCpu),
      mismatches: mismatches.length,
      duplicates: duplicates.length,
    }),
  );
  if (mismatches.length > 0 || duplicates.length > 0) {
    failed = true;
    console.error(`window counts differ: ${[...mismatches, ...duplicates].slice(0, 10).join('; ')}`);
  }
}
process.exitCode = failed ? 1 : 0;
