import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { PostgresPoolClient } from '@inlet/postgres';
import { copyStatement, mergeStatement, stagingTableStatement, type TableLayout } from './upsert-statement';

// COPY's text format: backslash, and the characters that end a field or a row, escaped.
const copySpecial = /[\\\t\n\r]/g;
const copyEscapes: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One parameter value (as `columnValue` made it) as a field of COPY's text format. */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'boolean'
        ? value
          ? 't'
          : 'f'
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
  return text.replace(copySpecial, (char) => copyEscapes[char] as string);
}

/** Rows as COPY's text format: fields by tabs, rows by newlines. */
export function copyText(rows: readonly (readonly unknown[])[]): string {
  let text = '';
  for (const row of rows) {
    for (let index = 0; index < row.length; index += 1) {
      if (index > 0) text += '\t';
      text += copyField(row[index]);
    }
    text += '\n';
  }
  return text;
}

type CopyFrom = (text: string) => Writable;

/**
 * The COPY path: the rows streamed into a session's temporary staging table, then merged into
 * the target with one `insert … select … on conflict` under the version guard. Runs inside the
 * caller's transaction; the staging table empties itself at commit.
 */
export class CopyMerge {
  readonly #layout: TableLayout;
  readonly #staging: string;
  readonly #merge: string;
  // Sessions (pooled connections) that already have the staging table.
  readonly #prepared = new WeakSet<object>();
  #copyFrom: Promise<CopyFrom> | undefined;

  constructor(layout: TableLayout, staging: string) {
    this.#layout = layout;
    this.#staging = staging;
    this.#merge = mergeStatement(layout, staging);
  }

  /** Before the transaction: a session's staging table, made once per session. */
  async prepare(client: PostgresPoolClient): Promise<void> {
    if (this.#prepared.has(client)) return;
    await client.query(stagingTableStatement(this.#layout, this.#staging));
    this.#prepared.add(client);
  }

  async write(client: PostgresPoolClient, rows: readonly (readonly unknown[])[]): Promise<void> {
    if (rows.length === 0) return;
    const copyFrom = await this.#loadCopyFrom();
    const stream = (client as unknown as { query(stream: Writable): Writable }).query(
      copyFrom(copyStatement(this.#layout, this.#staging)),
    );
    const finished = once(stream, 'finish');
    stream.end(copyText(rows));
    await finished;
    await client.query(this.#merge);
  }

  // pg-copy-streams is loaded only by sinks that COPY, so that it stays an optional peer.
  #loadCopyFrom(): Promise<CopyFrom> {
    this.#copyFrom ??= import('pg-copy-streams').then(
      (module) =>
        ((module as { from?: CopyFrom }).from ??
          (module as { default: { from: CopyFrom } }).default.from) as CopyFrom,
    );
    return this.#copyFrom;
  }
}
