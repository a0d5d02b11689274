import type { IncomingRecord } from '@inlet/core';

/** A record as the CLI prints it: text when the bytes are UTF-8, base64 otherwise. */
export interface RecordView {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly valueEncoding: 'utf8' | 'base64';
  readonly headers: Readonly<Record<string, string>>;
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

export function recordView(record: IncomingRecord): RecordView {
  const value = record.value;
  const text = value === null || isUtf8(value);
  const headers: Record<string, string> = {};
  for (const { name, value: header } of record.headerList) headers[name] = header?.toString('utf8') ?? '';
  return {
    partition: record.partition,
    offset: record.offset,
    timestamp: new Date(record.timestamp).toISOString(),
    key: record.key?.toString('utf8') ?? null,
    value: value === null ? null : value.toString(text ? 'utf8' : 'base64'),
    valueEncoding: text ? 'utf8' : 'base64',
    headers,
  };
}
