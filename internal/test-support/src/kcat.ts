import { execFile } from 'node:child_process';

/** One record as kcat writes it. A header given as `[name, null]` is written without a value. */
export interface KcatRecord {
  readonly topic: string;
  readonly key?: string;
  readonly value: string;
  readonly headers?: readonly (readonly [string, string | null])[];
  readonly partition?: number;
}

/**
 * Produces one record with kcat (librdkafka's command-line client, from Debian; installed by
 * scripts/servers/tools.sh): a producer that is not Inlet, for tests of what Inlet reads. A header
 * without `=` (`-H x-flag`) is a header with a null value.
 */
export function kcatProduce(brokers: readonly string[], record: KcatRecord): Promise<void> {
  // murmur2_random places keyed records as the Java client (and Inlet) do; librdkafka's own
  // default (consistent_random, CRC32) would put the same key on another partition.
  const args = [
    '-P',
    '-b',
    brokers.join(','),
    '-t',
    record.topic,
    '-c',
    '1',
    '-X',
    'partitioner=murmur2_random',
  ];
  if (record.key !== undefined) args.push('-k', record.key);
  if (record.partition !== undefined) args.push('-p', String(record.partition));
  for (const [name, value] of record.headers ?? [])
    args.push('-H', value === null ? name : `${name}=${value}`);
  // -D with a delimiter the value cannot hold makes the whole of stdin one message.
  args.push('-D', '\u0001');
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`kcat ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve();
    });
    child.stdin?.end(record.value);
  });
}

/** A record as kcat reads it: its headers as `name=value` text, its value as text. */
export interface KcatReadRecord {
  readonly headers: string;
  readonly value: string;
}

/**
 * Reads the first `count` records of a topic's partitions from the beginning with kcat, a reader
 * that is not Inlet, for tests of what Inlet writes on the wire.
 */
export function kcatConsume(
  brokers: readonly string[],
  topic: string,
  count: number,
): Promise<KcatReadRecord[]> {
  // \u0001 and \u0002 cannot occur in the headers or JSON values these tests read.
  const args = ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-c', String(count), '-e'];
  args.push('-f', '%h\u0001%s\u0002');
  return new Promise((resolve, reject) => {
    execFile('kcat', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`kcat ${args.join(' ')} failed: ${stderr || error.message}`));
        return;
      }
      const records = stdout
        .split('\u0002')
        .filter((text) => text.length > 0)
        .map((text) => {
          const [headers = '', value = ''] = text.split('\u0001');
          return { headers, value };
        });
      resolve(records);
    });
  });
}
