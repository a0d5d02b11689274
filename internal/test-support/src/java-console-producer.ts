import { spawn } from 'node:child_process';
import { serverScriptOutput } from './servers';

/** One record for the broker's console producer: text key and value, text headers. */
export interface ConsoleRecord {
  readonly key: string;
  readonly value: string;
  readonly headers?: readonly (readonly [string, string])[];
}

/**
 * Produces records with the broker's own console producer (the Java client, its default
 * partitioner): a producer that is not Inlet, for tests of what Inlet reads. One line per record
 * (`headers<TAB>key<TAB>value`, headers as `name:value,...`; `key<TAB>value` when no record has
 * headers), so no text may hold a tab or a newline, nor a header value a comma; the reader cannot
 * mix the two forms, so either every record has headers or none has.
 */
export async function javaConsoleProduce(
  brokers: readonly string[],
  topic: string,
  records: readonly ConsoleRecord[],
): Promise<void> {
  for (const { key, value, headers = [] } of records) {
    const texts = [key, value, ...headers.flat()];
    if (texts.some((text) => /[\t\n\r]/.test(text)) || headers.some(([, text]) => text.includes(',')))
      throw new Error(`the console producer cannot carry this record as one line: ${JSON.stringify(key)}`);
  }
  const withHeaders = records.filter(({ headers = [] }) => headers.length > 0).length;
  if (withHeaders > 0 && withHeaders < records.length)
    throw new Error('the console producer reads headers on every line or on none: give each record headers');
  const libs = await serverScriptOutput('kafka', 'libs');
  const lines = records.map(({ key, value, headers = [] }) =>
    withHeaders > 0
      ? `${headers.map(([name, text]) => `${name}:${text}`).join(',')}\t${key}\t${value}`
      : `${key}\t${value}`,
  );
  await new Promise<void>((resolve, reject) => {
    const java = spawn('java', [
      '-cp',
      `${libs}/*`,
      'org.apache.kafka.tools.ConsoleProducer',
      '--bootstrap-server',
      brokers.join(','),
      '--topic',
      topic,
      '--reader-property',
      'parse.key=true',
      ...(withHeaders > 0 ? ['--reader-property', 'parse.headers=true'] : []),
      '--reader-property',
      'key.separator=\t',
    ]);
    let stderr = '';
    java.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    java.on('error', reject);
    java.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ConsoleProducer exited ${code}: ${stderr}`)),
    );
    java.stdin.end(`${lines.join('\n')}\n`);
  });
}
