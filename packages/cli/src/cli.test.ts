import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands, runInlet } from './cli';
import { resolveConfig } from './cli-config';
import type { CliIo } from './cli-io';
import { parsePosition } from './commands/dlq-command';
import { loadDriver } from './commands/reconcile-command';
import { parseReplayTarget } from './commands/replay-command';
import { parseFrom } from './commands/tail-command';
import { UsageError } from './usage-error';

function captured(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    env,
    cwd: process.cwd(),
    stderrIsTty: false,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

async function usageError(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const run = captured(env);
  expect(await runInlet(args, run.io)).toBe(2);
  return run.err();
}

describe('runInlet', () => {
  it('prints help for inlet and every command with exit 0', async () => {
    const top = captured();
    expect(await runInlet(['--help'], top.io)).toBe(0);
    for (const command of commands) expect(top.out()).toContain(command.name);
    for (const command of commands) {
      const run = captured();
      expect(await runInlet([command.name, '--help'], run.io)).toBe(0);
      expect(run.out()).toContain(`usage: inlet ${command.name}`);
    }
  });

  it('exits 2 with no command, and names the closest command for a typo', async () => {
    expect(await usageError([])).toContain('usage: inlet <command>');
    expect(await usageError(['tial'])).toContain('unknown command "tial" (did you mean tail?)');
    expect(await usageError(['--jsn'])).toContain('unknown flag "--jsn"');
  });

  it('refuses unknown flags, missing values and wrong types per command, before connecting', async () => {
    expect(await usageError(['lag', '--group', 'g', '--topci', 't'])).toContain(
      'inlet lag: unknown flag --topci (did you mean --topic?)',
    );
    expect(await usageError(['lag'])).toContain('--group is required');
    expect(await usageError(['lag', '--group'])).toContain('--group needs a value');
    expect(await usageError(['tail'])).toContain('give the topic to tail');
    expect(await usageError(['tail', 't', '--limit', 'many'])).toContain(
      '--limit expects a number, got "many"',
    );
    expect(await usageError(['tail', 't', '--limit', '0'])).toContain('--limit expects a positive integer');
    expect(await usageError(['tail', 't', '--from', 'yesterday'])).toContain('--from expects beginning, end');
    expect(await usageError(['replay', '--group', 'g', '--topic', 't'])).toContain('--to is required');
    expect(await usageError(['replay', '--group', 'g', '--topic', 't', '--to', 'soon'])).toContain(
      '--to expects an ISO-8601 time',
    );
    expect(
      await usageError(['replay', '--group', 'g', '--topic', 't', '--to', 'earliest', '--exectue']),
    ).toContain('did you mean --execute?');
    expect(await usageError(['dlq', 'lst', 'd'])).toContain('unknown subcommand "lst" (did you mean list?)');
    expect(await usageError(['dlq', 'list'])).toContain('give the dead-letter topic');
    expect(await usageError(['dlq', 'show', 'd', 'x'])).toContain('expected <partition:offset>');
    expect(await usageError(['dlq', 'list', 'd', '--execute'])).toContain(
      '--execute applies to dlq redrive only',
    );
    expect(await usageError(['schema', 'check', 'm.js', '--regsitry', 'x'])).toContain(
      'did you mean --registry?',
    );
    expect(await usageError(['schema'])).toContain('give a subcommand: check');
    expect(await usageError(['monitor', '--port', '1'])).toContain('--group is required');
    expect(await usageError(['monitor', '--group', 'g'])).toContain('--topic is required');
    expect(await usageError(['monitor', '--group', 'g', '--topic', 'a,,b'])).toContain(
      '--topic has an empty name',
    );
    expect(await usageError(['monitor', '--group', 'g', '--topic', 't', '--port', '70000'])).toContain(
      '--port must be 0 to 65535',
    );
    expect(
      await usageError(['monitor', '--group', 'g', '--topic', 't', '--sample-interval-ms', '10']),
    ).toContain('--sample-interval-ms must be at least 100');
    expect(await usageError(['monitor', '--group', 'g', '--topic', 't', '--lag-above', '-1'])).toContain(
      '--lag-above must be a number of at least 0',
    );
  });

  it('refuses bad lag thresholds with exit 2, naming the flag, before connecting', async () => {
    const lag = ['lag', '--group', 'g'];
    expect(await usageError([...lag, '--max-lag', 'many'])).toContain(
      '--max-lag expects a number, got "many"',
    );
    expect(await usageError([...lag, '--max-lag', '-1'])).toContain(
      '--max-lag expects an integer of at least 0, got -1',
    );
    expect(await usageError([...lag, '--max-lag', '2.5'])).toContain('--max-lag expects an integer');
    expect(await usageError([...lag, '--max-lag-seconds', '-0.5'])).toContain(
      '--max-lag-seconds expects a number of at least 0, got -0.5',
    );
    expect(await usageError([...lag, '--max-lag-seconds'])).toContain('--max-lag-seconds needs a value');
    expect(await usageError([...lag, '--max-lag-secs', '5'])).toContain('did you mean --max-lag-seconds?');
    expect(await usageError([...lag, '--topic', 'a,,b'])).toContain('--topic has an empty name');
    expect(await usageError(['tail', 't', '--registry'])).toContain('--registry needs a value');
  });

  it('refuses reconcile flag mistakes with exit 2, before connecting', async () => {
    const pgSink = ['--source-table', 's', '--key', 'id', '--sink-table', 't'];
    expect(await usageError(['reconcile'])).toContain(
      'inlet reconcile: give the source: --source-table <table> --key <column> or --source-topic <topic>',
    );
    expect(await usageError(['reconcile', '--source-table', 's', '--sink-table', 't'])).toContain(
      '--key is required',
    );
    expect(await usageError(['reconcile', '--source-table', 's', '--key', 'id'])).toContain(
      'give the sink: --sink-table <table> or --sink-redis-prefix <prefix>',
    );
    expect(await usageError(['reconcile', ...pgSink, '--sink-redis-prefix', 'p:'])).toContain(
      'give one sink: --sink-table or --sink-redis-prefix, not both',
    );
    expect(await usageError(['reconcile', ...pgSink, '--sink-tabel', 'x'])).toContain(
      'unknown flag --sink-tabel (did you mean --sink-table?)',
    );
    expect(await usageError(['reconcile', ...pgSink, '--max-keys', 'lots'])).toContain(
      '--max-keys expects a number, got "lots"',
    );
    expect(await usageError(['reconcile', ...pgSink, '--max-keys', '1.5'])).toContain(
      '--max-keys expects a non-negative integer',
    );
    expect(await usageError(['reconcile', ...pgSink, '--columns', 'a,,b'])).toContain(
      '--columns expects a,b,... without empty names',
    );
    expect(await usageError(['reconcile', ...pgSink, '--redis-url', 'redis://x'])).toContain(
      '--redis-url applies to --sink-redis-prefix only',
    );
    expect(
      await usageError([
        'reconcile',
        '--source-table',
        's',
        '--key',
        'id',
        '--sink-redis-prefix',
        'p:',
        '--sink-key',
        'k',
      ]),
    ).toContain('--sink-key applies to --sink-table only');
    expect(await usageError(['reconcile', ...pgSink, 'extra'])).toContain('unexpected argument "extra"');
    expect(await usageError(['reconcile', '--source-table', '', '--key', 'id'])).toContain(
      '--source-table must not be empty',
    );
    const topicSource = ['--source-topic', 'orders', '--definitions', './defs.js'];
    expect(await usageError(['reconcile', ...pgSink, '--source-topic', 'orders'])).toContain(
      'give one source: --source-table or --source-topic, not both',
    );
    expect(await usageError(['reconcile', '--source-topic', 'orders', '--sink-table', 't'])).toContain(
      '--source-topic needs --definitions <module>',
    );
    expect(await usageError(['reconcile', ...topicSource, '--key', 'id', '--sink-table', 't'])).toContain(
      '--key applies to --source-table only',
    );
    for (const flag of ['--definitions', '--registry', '--brokers', '--client-id', '--config'])
      expect(await usageError(['reconcile', ...pgSink, flag, 'x'])).toContain(
        `${flag} applies to --source-topic only`,
      );
    expect(
      await usageError(['reconcile', ...pgSink, '--sink-duckdb', 'f', '--sink-redis-prefix', 'p:']),
    ).toContain('give one sink: --sink-duckdb or --sink-redis-prefix, not both');
    expect(
      await usageError(['reconcile', '--source-table', 's', '--key', 'id', '--sink-duckdb', 'f']),
    ).toContain('--sink-duckdb needs --sink-table <table>');
    expect(await usageError(['reconcile', ...pgSink, '--sink-duckdb', ''])).toContain(
      '--sink-duckdb must not be empty',
    );
    expect(
      await usageError([
        'reconcile',
        ...topicSource,
        '--sink-redis-prefix',
        'p:',
        '--database-url',
        'postgres://x',
      ]),
    ).toContain('--database-url applies to --source-table or a PostgreSQL --sink-table only');
    expect(await usageError(['reconcile', ...topicSource, '--sink-table', 't'])).toContain(
      'no Kafka brokers',
    );
  });

  it('says to install pg / ioredis / @duckdb/node-api when the driver is missing (exit 3 via runInlet)', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(loadDriver('pg', () => Promise.reject(missing))).rejects.toThrow(
      'the pg package is not installed: install pg',
    );
    const other = new Error('boom');
    await expect(loadDriver('ioredis', () => Promise.reject(other))).rejects.toBe(other);
    await expect(loadDriver('@duckdb/node-api', () => Promise.reject(missing))).rejects.toThrow(
      'the @duckdb/node-api package is not installed: install @duckdb/node-api (npm install @duckdb/node-api)',
    );
  });

  it('exits 2 when no brokers are configured', async () => {
    expect(await usageError(['lag', '--group', 'g'])).toContain('no Kafka brokers');
  });
});

describe('configuration', () => {
  const io = (env: NodeJS.ProcessEnv, cwd = process.cwd()) => ({ ...captured(env).io, cwd });

  it('takes flags over the environment over the config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inlet-cli-'));
    await writeFile(
      join(dir, 'inlet.json'),
      JSON.stringify({ brokers: ['file:1'], clientId: 'from-file', registryUrl: 'http://r' }),
    );
    expect(await resolveConfig({ config: 'inlet.json' }, io({}, dir))).toEqual({
      brokers: ['file:1'],
      clientId: 'from-file',
      registryUrl: 'http://r',
    });
    expect(
      await resolveConfig(
        { config: 'inlet.json' },
        io({ KAFKA_BROKERS: 'env:1, env:2', INLET_CLIENT_ID: 'env' }, dir),
      ),
    ).toMatchObject({ brokers: ['env:1', 'env:2'], clientId: 'env' });
    expect(
      await resolveConfig({ brokers: 'flag:1', config: 'inlet.json' }, io({ KAFKA_BROKERS: 'env:1' }, dir)),
    ).toMatchObject({
      brokers: ['flag:1'],
    });
    expect(await resolveConfig({}, io({ INLET_CONFIG: join(dir, 'inlet.json') }))).toMatchObject({
      clientId: 'from-file',
    });
  });

  it('refuses a config file that is missing, not JSON, or has unknown or mistyped keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inlet-cli-'));
    await writeFile(join(dir, 'bad.json'), '{');
    await writeFile(join(dir, 'typo.json'), JSON.stringify({ broker: 'x' }));
    await writeFile(join(dir, 'type.json'), JSON.stringify({ brokers: 9 }));
    const fails = (path: string) => resolveConfig({ config: path }, io({}, dir));
    await expect(fails('none.json')).rejects.toThrow(new UsageError('--config none.json: ENOENT'));
    await expect(fails('bad.json')).rejects.toThrow('not valid JSON');
    await expect(fails('typo.json')).rejects.toThrow('unknown key "broker"');
    await expect(fails('type.json')).rejects.toThrow('"brokers" must be a string or an array of strings');
  });
});

describe('value parsers', () => {
  it('reads --from, --to and partition:offset', () => {
    expect(parseFrom(undefined)).toBe('latest');
    expect(parseFrom('beginning')).toBe('earliest');
    expect(parseFrom('2026-01-02T03:04:05Z')).toEqual({ timestamp: Date.parse('2026-01-02T03:04:05Z') });
    expect(parseReplayTarget('earliest')).toEqual({ offset: 'earliest' });
    expect(parseReplayTarget('2026-01-02')).toEqual({ timestamp: Date.parse('2026-01-02') });
    expect(() => parseReplayTarget('12345')).toThrow(UsageError);
    expect(parsePosition('3:42')).toEqual({ partition: 3, offset: '42' });
    expect(() => parsePosition('3:')).toThrow(UsageError);
  });
});
