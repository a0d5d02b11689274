import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureServerRunning, serverScript, serverScriptOutput } from '@inlet/test-support/servers';
import { benchEnvironment, runScenario, type Scenario } from './harness';
import { allScenarios } from './scenarios/index';

const usage = `usage: pnpm bench [scenario or group ...] [--quick] [--list]

Runs each scenario's arm ("ours") and its baseline interleaved A-B-B-A in one process, then
writes bench/results/<scenario>.json and prints that JSON as the scenario's last line.
With no names, runs every scenario.

  --quick   two pairs and less work per run (a smoke check, not a measurement)
  --list    print the scenarios and their groups, then exit
  --help    this text

Environment: KAFKA_BROKERS (default: start or reuse the repo's broker on 127.0.0.1:9092)`;

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

function select(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...allScenarios];
  const unknown = names.filter((name) => !allScenarios.some((s) => s.name === name || s.group === name));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario or group: ${unknown.join(', ')} (see pnpm bench --list)`);
  }
  return allScenarios.filter((s) => names.includes(s.name) || names.includes(s.group));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.list) {
    for (const scenario of allScenarios)
      console.log(`${scenario.group}\t${scenario.name}\t${scenario.description}`);
    return 0;
  }
  const scenarios = select(positionals);
  const needsKafka = scenarios.some((scenario) => scenario.needsKafka);
  let startedKafka = false;
  let brokers: string[] = [];
  if (needsKafka) {
    if (process.env.KAFKA_BROKERS) {
      brokers = process.env.KAFKA_BROKERS.split(',');
    } else {
      startedKafka = await ensureServerRunning('kafka');
      brokers = [`127.0.0.1:${process.env.INLET_KAFKA_PORT ?? '9092'}`];
    }
  }
  const brokerPid = process.env.KAFKA_BROKERS
    ? undefined
    : Number(await serverScriptOutput('kafka', 'pid').catch(() => '')) || undefined;
  const kafkaVersion = process.env.KAFKA_BROKERS ? undefined : (process.env.INLET_KAFKA_VERSION ?? '4.4.0');
  const environment = benchEnvironment(values.quick, kafkaVersion);
  mkdirSync(resultsDir, { recursive: true });
  let failures = 0;
  try {
    for (const scenario of scenarios) {
      console.log(`\n${scenario.name}: ${scenario.description}`);
      try {
        const result = await runScenario(scenario, {
          context: { brokers, quick: values.quick },
          environment,
          brokerPid,
          log: (line) => console.log(line),
        });
        console.log(
          `  ours ${result.ours.label}: ${result.ours.value} ${result.unit} (${result.ours.cpuMicrosPerUnit} µs CPU/unit); ` +
            `baseline ${result.baseline.label}: ${result.baseline.value} ${result.unit} ` +
            `(${result.baseline.cpuMicrosPerUnit} µs CPU/unit); ratio ${result.ratio}`,
        );
        writeFileSync(`${resultsDir}${scenario.name}.json`, `${JSON.stringify(result, null, 2)}\n`);
        console.log(JSON.stringify(result));
      } catch (error) {
        failures += 1;
        console.error(`  ${scenario.name} failed: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
  } finally {
    if (startedKafka) await serverScript('kafka', 'stop');
  }
  return failures === 0 ? 0 : 1;
}

let finished = false;
// A scenario waiting on something that nothing keeps alive (a consumer that crashed and let go of
// its sockets) ends the process with no error: it is a failure, said as one.
process.on('beforeExit', () => {
  if (finished) return;
  console.error(
    'the bench stopped with a scenario unfinished: it waited on something that will never happen',
  );
  process.exit(3);
});

main().then(
  (code) => {
    finished = true;
    process.exitCode = code;
  },
  (error: unknown) => {
    finished = true;
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
