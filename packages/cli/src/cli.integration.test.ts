import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deadLetterRecord } from '@inlet/consumer';
import {
  createEvent,
  defineTopic,
  encodeEventRecord,
  frameConfluent,
  type IncomingRecord,
  InletError,
  InletErrorCode,
  type KafkaTransport,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { createConfluentRegistry, createSchemaResolver } from '@inlet/schema';
import { kcatProduce, testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoteAdded } from './e2e.fixture';
import { ReadingTaken } from './e2e-avro.fixture';
import { type InletRun, repoRoot, runInlet } from './run-inlet.test-support';

// End to end through the real entry point, run from source (src/cli-main.ts with tsx and the
// @inlet/source condition) so no stale build is ever tested; against the real broker and registry.

const { kafkaBrokers, schemaRegistryUrl } = testEnvironment();
const fixture = fileURLToPath(new URL('./e2e.fixture.ts', import.meta.url));
const avroFixture = fileURLToPath(new URL('./e2e-avro.fixture.ts', import.meta.url));

const inlet = runInlet;
type Run = InletRun;

function json(run: Run): unknown {
  if (run.code !== 0 && run.code !== 1) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'cli-integration' });
});
afterAll(async () => {
  await transport.close();
});

const note = (noteId: string, at: string) => ({ noteId, text: `text ${noteId}`, at });

async function notesTopic(partitions = 2): Promise<string> {
  const topic = uniqueName('cli-notes');
  await transport.admin().createTopics([{ topic, partitions }]);
  return topic;
}

async function produceNotes(
  topic: string,
  count: number,
  timestamp?: number,
  partition?: number,
): Promise<void> {
  const producer = transport.producer({ idempotent: true });
  try {
    const records = Array.from({ length: count }, (_, index) => {
      const record = encodeEventRecord(
        topic,
        createEvent(NoteAdded, note(`n${index}`, '2026-01-01T00:00:00.000Z'), { source: 'urn:cli-test' }),
        NoteAdded,
      );
      return {
        ...record,
        ...(timestamp === undefined ? {} : { timestamp }),
        ...(partition === undefined ? {} : { partition }),
      };
    });
    await producer.send(records);
  } finally {
    await producer.close();
  }
}

async function commitAll(groupId: string, topic: string, to: 'low' | 'high'): Promise<void> {
  const bounds = await transport.admin().topicOffsets(topic);
  await transport.admin().setGroupOffsets(
    groupId,
    bounds.map(({ partition, low, high }) => ({ topic, partition, offset: to === 'low' ? low : high })),
  );
}

// Each test spawns the command several times; on a loaded 2-core machine a spawn can take seconds.
describe('inlet (end to end)', { timeout: 180_000 }, () => {
  it('prints help and refuses unknown commands and flags with exit 2', async () => {
    const help = await inlet(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: inlet <command>');
    const typo = await inlet(['replay', '--gruop', 'g']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown flag --gruop (did you mean --group?)');
    const monitor = await inlet(['monitor']);
    expect(monitor.code).toBe(2);
    expect(monitor.stderr).toContain('--group is required');
  });

  it('monitor: serves the status page, its JSON and /metrics; lag in events and seconds; a lag alert fires', async () => {
    const topic = await notesTopic(2);
    // Records a minute old, none consumed: lag 10 events, the oldest unconsumed 60 s old.
    await produceNotes(topic, 10, Date.now() - 60_000);
    const group = uniqueName('cli-monitor');
    await commitAll(group, topic, 'low');
    const child = spawn(
      process.execPath,
      [
        '--conditions=@inlet/source',
        '--import',
        'tsx',
        'packages/cli/src/cli-main.ts',
        'monitor',
        '--group',
        group,
        '--topic',
        topic,
        '--port',
        '0',
        '--sample-interval-ms',
        '500',
        '--lag-above',
        '5',
        '--for-ms',
        '15000',
        '--json',
      ],
      { cwd: repoRoot, env: { ...process.env, KAFKA_BROKERS: kafkaBrokers.join(',') } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const found = /inlet monitor: (http:\/\/\S+\/) /.exec(stderr);
        if (found) resolve(found[1] as string);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const status = (await (await fetch(`${url}api/status`)).json()) as {
      flows: { name: string; lagEvents: number; lagSeconds: number | null }[];
    };
    expect(status.flows).toMatchObject([{ name: group, lagEvents: 10 }]);
    expect(status.flows[0]?.lagSeconds).toBeGreaterThanOrEqual(55);
    expect(status.flows[0]?.lagSeconds).toBeLessThan(180);
    expect(await (await fetch(`${url}metrics`)).text()).toMatch(/^# HELP /m);
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/alert firing: lag on /);
    const last = JSON.parse(stdout) as { alerts: { rule: string; state: string }[] };
    expect(last.alerts).toContainEqual(expect.objectContaining({ rule: 'lag', state: 'firing' }));
  });

  it('lag: per-partition committed, end and lag as JSON', async () => {
    const topic = await notesTopic(2);
    await produceNotes(topic, 10);
    const group = uniqueName('cli-lag');
    await commitAll(group, topic, 'low');
    const run = await inlet(['lag', '--group', group, '--topic', topic, '--json']);
    expect(run.code).toBe(0);
    const result = json(run) as {
      group: string;
      partitions: { committed: string; end: string; lag: number }[];
      totalLag: number;
    };
    expect(result.group).toBe(group);
    expect(result.partitions).toHaveLength(2);
    expect(result.totalLag).toBe(10);
    for (const partition of result.partitions)
      expect(partition.lag).toBe(Number(partition.end) - Number(partition.committed));
  });

  it('lag: events and seconds per partition, totals per topic, --max-lag thresholds exit 1', async () => {
    const topic = await notesTopic(2);
    const now = Date.now();
    // Partition 0: 3 records 10 minutes old (consumed), then 2 records 2 minutes old (not yet).
    await produceNotes(topic, 3, now - 600_000, 0);
    await produceNotes(topic, 2, now - 120_000, 0);
    // Partition 1: all consumed.
    await produceNotes(topic, 4, now - 30_000, 1);
    const group = uniqueName('cli-lag-time');
    await transport.admin().setGroupOffsets(group, [
      { topic, partition: 0, offset: '3' },
      { topic, partition: 1, offset: '4' },
    ]);
    interface Report {
      group: string;
      partitions: {
        topic: string;
        partition: number;
        committed: string | null;
        end: string;
        lag: number;
        lagSeconds: number | null;
      }[];
      topics: { topic: string; lag: number; lagSeconds: number | null }[];
      totalLag: number;
      lagSeconds: number | null;
      thresholds: { maxLag: number | null; maxLagSeconds: number | null; exceeded: string[] };
    }
    // Without --topic: the topics where the group committed offsets.
    const run = await inlet(['lag', '--group', group, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = json(run) as Report;
    expect(report).toMatchObject({
      group,
      totalLag: 2,
      thresholds: { maxLag: null, maxLagSeconds: null, exceeded: [] },
    });
    expect(report.partitions).toHaveLength(2);
    const [first, second] = report.partitions;
    expect(first).toMatchObject({ topic, partition: 0, committed: '3', end: '5', lag: 2 });
    expect(first?.lagSeconds).toBeGreaterThanOrEqual(118);
    expect(first?.lagSeconds).toBeLessThan(200);
    expect(second).toEqual({ topic, partition: 1, committed: '4', end: '4', lag: 0, lagSeconds: null });
    expect(report.topics).toEqual([{ topic, lag: 2, lagSeconds: first?.lagSeconds }]);
    expect(report.lagSeconds).toBe(first?.lagSeconds);

    const table = await inlet(['lag', '--group', group, '--topic', topic]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+LAG TIME$/m);
    // Two minutes and the time the spawns took since: a loaded machine can add tens of seconds.
    expect(table.stdout).toMatch(/ 2\s+[23]m\d\ds$/m);
    expect(table.stdout).toMatch(/^total lag 2, oldest unconsumed [23]m\d\ds$/m);

    const over = await inlet([
      'lag',
      '--group',
      group,
      '--topic',
      topic,
      '--max-lag',
      '5',
      '--max-lag-seconds',
      '60',
      '--json',
    ]);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain('above --max-lag-seconds 60');
    expect((json(over) as Report).thresholds).toEqual({
      maxLag: 5,
      maxLagSeconds: 60,
      exceeded: ['lagSeconds'],
    });
    const under = await inlet([
      'lag',
      '--group',
      group,
      '--topic',
      topic,
      '--max-lag',
      '2',
      '--max-lag-seconds=600',
    ]);
    expect(under.code, under.stderr).toBe(0);
    const events = await inlet(['lag', '--group', group, '--topic', topic, '--max-lag', '1']);
    expect(events.code).toBe(1);
    expect(events.stderr).toContain('lag 2 is above --max-lag 1');
    const bad = await inlet(['lag', '--group', group, '--max-lag-seconds', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-lag-seconds expects a number, got "soon"');
  });

  it('tail: decodes registry-framed Avro with the writer schema from the registry; unknown ids per record', async () => {
    const topic = uniqueName('cli-avro');
    await transport.admin().createTopics([{ topic, partitions: 1 }]);
    const topicDefinition = defineTopic({ name: topic, events: [ReadingTaken] });
    const registry = createConfluentRegistry({ url: schemaRegistryUrl });
    const resolver = createSchemaResolver({ registry });
    const producer = createProducer({ transport, registry: resolver });
    const at = '2026-03-01T12:00:00.000Z';
    let schemaId: number;
    try {
      await producer.send(topicDefinition, {
        type: 'reading.taken',
        data: { sensorId: 's1', celsius: 21.5, at },
      });
      await producer.send(topicDefinition, {
        type: 'reading.taken',
        data: { sensorId: 's2', celsius: -3, at },
      });
      schemaId = await resolver.schemaIdFor(topic, ReadingTaken);
    } finally {
      await producer.close();
      await registry.close();
    }
    // Another producer's framed records, without Inlet's headers: one known id, one the registry lacks.
    const raw = transport.producer({ idempotent: true });
    const unknownId = 2_000_000_000;
    try {
      await raw.send([
        {
          topic,
          key: Buffer.from('s3'),
          value: frameConfluent(schemaId, ReadingTaken.codec.encode({ sensorId: 's3', celsius: 0.5, at })),
        },
        { topic, key: Buffer.from('s4'), value: frameConfluent(unknownId, Buffer.from([2, 0x61])) },
      ]);
    } finally {
      await raw.close();
    }
    const tailArgs = ['tail', topic, '--from', 'beginning', '--limit', '4', '--idle-timeout', '20000'];
    const lines = (run: Run) => {
      expect(run.code, run.stderr).toBe(0);
      return run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    };

    // --registry given, no definitions: the values decoded with the writer's schema.
    const plain = lines(
      await inlet([...tailArgs, '--registry', schemaRegistryUrl, '--json'], { SCHEMA_REGISTRY_URL: '' }),
    );
    expect(plain).toHaveLength(4);
    expect(plain.slice(0, 3)).toMatchObject([
      { schemaId, data: { sensorId: 's1', celsius: 21.5, at }, error: null, valueEncoding: 'base64' },
      { schemaId, data: { sensorId: 's2', celsius: -3, at }, error: null },
      { schemaId, data: { sensorId: 's3', celsius: 0.5, at }, error: null, key: 's3' },
    ]);
    expect(plain[3]).toMatchObject({
      schemaId: unknownId,
      data: null,
      event: null,
      key: 's4',
      error: { code: 'INLET_DECODE_UNKNOWN_SCHEMA_ID', message: expect.stringContaining(String(unknownId)) },
    });

    // The registry from SCHEMA_REGISTRY_URL, with definitions: Inlet events.
    const events = lines(
      await inlet([...tailArgs, '--definitions', avroFixture, '--json'], { INLET_E2E_TOPIC: topic }),
    );
    expect(events.slice(0, 2).map((line) => line.event)).toMatchObject([
      { type: 'reading.taken', version: 1, data: { sensorId: 's1', celsius: 21.5, at } },
      { type: 'reading.taken', version: 1, data: { sensorId: 's2', celsius: -3, at } },
    ]);
    // Not an Inlet event (no CloudEvents headers), yet its data is shown decoded.
    expect(events[2]).toMatchObject({
      event: null,
      data: { sensorId: 's3' },
      error: { code: 'INLET_DECODE_MISSING_HEADER' },
    });
    expect(events[3]).toMatchObject({ event: null, error: { code: 'INLET_DECODE_UNKNOWN_SCHEMA_ID' } });

    // No registry: shown as registry-framed with the schema id, not as garbage.
    const unframed = await inlet(tailArgs, { SCHEMA_REGISTRY_URL: '' });
    expect(unframed.code, unframed.stderr).toBe(0);
    const human = unframed.stdout.trim().split('\n');
    expect(human).toHaveLength(4);
    expect(human[0]).toContain(`registry-framed, schema id ${schemaId} (give --registry`);
    expect(human[3]).toContain(`registry-framed, schema id ${unknownId}`);
    const withRegistry = await inlet(tailArgs);
    expect(withRegistry.stdout).toContain(`schema=${schemaId} {"sensorId":"s1","celsius":21.5,"at":"${at}"}`);
    expect(withRegistry.stdout).toMatch(/UNDECODABLE INLET_DECODE_UNKNOWN_SCHEMA_ID: /);
  });

  it('tail: decodes events and prints an undecodable record with its error, without crashing', async () => {
    const topic = await notesTopic(1);
    await produceNotes(topic, 2);
    await kcatProduce(kafkaBrokers, { topic, key: 'bad', value: '{not an event', partition: 0 });
    const run = await inlet(
      [
        'tail',
        topic,
        '--from',
        'beginning',
        '--limit',
        '3',
        '--idle-timeout',
        '20000',
        '--definitions',
        fixture,
        '--json',
      ],
      { INLET_E2E_TOPIC: topic },
    );
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines.slice(0, 2).map((line) => (line.event as { type: string }).type)).toEqual([
      'note.added',
      'note.added',
    ]);
    const bad = lines[2] as { event: unknown; error: { code: string }; value: string; key: string };
    expect(bad.event).toBeNull();
    expect(bad.error.code).toMatch(/^INLET_DECODE_/);
    expect(bad.value).toBe('{not an event');
    expect(bad.key).toBe('bad');
  });

  it('replay: a dry run moves nothing; --execute moves the group to the time', async () => {
    const topic = await notesTopic(1);
    const start = Date.now() - 60_000;
    await produceNotes(topic, 3, start);
    await produceNotes(topic, 2, start + 30_000);
    const group = uniqueName('cli-replay');
    await commitAll(group, topic, 'high');
    const to = new Date(start + 15_000).toISOString();
    const dry = json(await inlet(['replay', '--group', group, '--topic', topic, '--to', to, '--json'])) as {
      dryRun: boolean;
      partitions: { committed: string; target: string; rereads: number }[];
      totalRereads: number;
    };
    expect(dry).toMatchObject({ dryRun: true, totalRereads: 2 });
    expect(dry.partitions[0]).toMatchObject({ committed: '5', target: '3', rereads: 2 });
    expect((await transport.admin().groupOffsets(group, topic))[0]?.offset).toBe('5');
    const executed = await inlet([
      'replay',
      '--group',
      group,
      '--topic',
      topic,
      '--to',
      to,
      '--execute',
      '--json',
    ]);
    expect(executed.code, executed.stderr).toBe(0);
    expect(json(executed)).toMatchObject({ dryRun: false, executed: true, totalRereads: 2 });
    expect((await transport.admin().groupOffsets(group, topic))[0]?.offset).toBe('3');
  });

  it('replay --execute is refused (exit 1) while the group has active members', async () => {
    const topic = await notesTopic(1);
    await produceNotes(topic, 1);
    const group = uniqueName('cli-replay-active');
    const member = transport.consumer({ groupId: group, autoOffsetReset: 'earliest' });
    try {
      await member.subscribe([topic]);
      let assigned = false;
      const markAssigned = () => {
        assigned = true;
      };
      await member.run({ onBatch: async () => undefined, onAssigned: markAssigned });
      const deadline = Date.now() + 30_000;
      while (!assigned && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const run = await inlet([
        'replay',
        '--group',
        group,
        '--topic',
        topic,
        '--to',
        'earliest',
        '--execute',
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('active member');
    } finally {
      await member.close();
    }
  });

  it('dlq list, show and redrive (dry run, then --execute)', async () => {
    const source = await notesTopic(1);
    const dlq = await notesTopic(1);
    const original: IncomingRecord = {
      topic: source,
      partition: 0,
      offset: '7',
      key: Buffer.from('k1'),
      value: Buffer.from('{"original":true}'),
      headers: { 'x-trace': Buffer.from('t1') },
      headerList: [{ name: 'x-trace', value: Buffer.from('t1') }],
      timestamp: Date.now(),
    };
    const producer = transport.producer({ idempotent: true });
    try {
      await producer.send([
        deadLetterRecord(original, {
          deadLetterTopic: dlq,
          groupId: 'billing',
          error: new InletError(InletErrorCode.malformedPayload, 'cannot read the payload'),
          attempts: 3,
        }),
      ]);
    } finally {
      await producer.close();
    }
    const list = json(await inlet(['dlq', 'list', dlq, '--json'])) as {
      total: number;
      letters: Record<string, unknown>[];
    };
    expect(list.total).toBe(1);
    expect(list.letters[0]).toMatchObject({
      partition: 0,
      offset: '0',
      sourceTopic: source,
      sourcePartition: 0,
      sourceOffset: '7',
      consumerGroup: 'billing',
      errorCode: InletErrorCode.malformedPayload,
      attempts: 3,
      redacted: false,
      truncated: false,
    });
    const shown = json(await inlet(['dlq', 'show', dlq, '0:0', '--json']));
    expect(shown).toMatchObject({ key: 'k1', value: '{"original":true}', headers: { 'x-trace': 't1' } });
    const missing = await inlet(['dlq', 'show', dlq, '0:9', '--json']);
    expect(missing.code).toBe(1);
    const dry = json(await inlet(['dlq', 'redrive', dlq, '--json']));
    expect(dry).toMatchObject({ dryRun: true, seen: 1, redriven: 1 });
    expect((await transport.admin().topicOffsets(source))[0]?.high).toBe('0');
    const executed = json(await inlet(['dlq', 'redrive', dlq, '--execute', '--json']));
    expect(executed).toMatchObject({ dryRun: false, seen: 1, redriven: 1 });
    expect((await transport.admin().topicOffsets(source))[0]?.high).toBe('1');
  });

  it('schema check: exit 0 against the real registry, 2 on usage, 3 when a module does not load', async () => {
    const topic = uniqueName('cli-schema');
    const ok = await inlet(['schema', 'check', fixture, '--json'], { INLET_E2E_TOPIC: topic });
    expect(ok.code, ok.stderr).toBe(0);
    const result = JSON.parse(ok.stdout) as { ok: boolean; definitions: { topic: string; status: string }[] };
    expect(result.ok).toBe(true);
    expect(result.definitions[0]).toMatchObject({ topic, status: 'compatible' });
    const usage = await inlet(['schema', 'chek', fixture]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('did you mean check?');
    const missing = await inlet(['schema', 'check', 'packages/cli/src/no-such-module.ts']);
    expect(missing.code).toBe(3);
  });
});
