import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { PostgresPoolClient } from '@inlet/postgres';
import { sqlStateOf } from './postgres-error-classes';
import {
  copyStatement,
  countedMergeStatement,
  mergeStatement,
  stagingTableStatement,
  type TableLayout,
} from './upsert-statement';

// COPY's text format: backslash, and the characters that end a field or a row, escaped.
const needsEscape = /[\\\t\n\r]/;
const copySpecial = /[\\\t\n\r]/g;
const copyEscapes: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeChar = (char: string) => copyEscapes[char] as string;

/** One parameter value (as `columnValue` made it) as a field of COPY's text format. */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Most fields hold none of the four characters: testing first spares the replace's copy.
  return needsEscape.test(text) ? text.replace(copySpecial, escapeChar) : text;
}

/**
 * Rows as COPY's text format (fields by tabs, rows by newlines), from the values column by
 * column (`columns[column][row]`, what the statement path takes too, so nothing is transposed).
 */
export function copyText(
  columns: readonly (readonly unknown[])[],
  rowCount: number,
  start = 0,
  end = rowCount,
): string {
  let text = '';
  const last = columns.length - 1;
  for (let row = start; row < end; row += 1) {
    for (let column = 0; column < last; column += 1)
      text += `${copyField((columns[column] as readonly unknown[])[row])}\t`;
    text += `${copyField((columns[last] as readonly unknown[])[row])}\n`;
  }
  return text;
}

type CopyFrom = (text: string) => Writable;

// Rows per chunk written to the COPY stream (some 50 KiB of a typical row): the server parses
// one chunk while the next is built.
export const copyChunkRows = 250;

// The unique violation a straight COPY meets when a key of the batch is in the table already.
const uniqueViolation = '23505';

/**
 * The COPY path. Merged: the rows streamed into a session's temporary staging table, then
 * merged into the target with one `insert … select … on conflict` under the version guard (or
 * the replay check of append mode); the staging table is made once per pooled connection and
 * empties itself at each commit. Direct (append mode with exactly once): the rows streamed
 * straight into the target, as the stored offset already keeps a replayed batch out. Adaptive
 * (upsert mode, deletes marked): a bulk load of new keys needs no merge, so the rows are first
 * streamed straight into the target inside a savepoint; a unique violation (a key is there
 * already) rolls back to it and merges as above, in the same transaction. After such a
 * failure the merge runs alone, counting what it inserted, until one merge inserts every row
 * again. Either way it runs inside the caller's transaction.
 */
export class CopyMerge {
  readonly #layout: TableLayout;
  readonly #staging: string | undefined;
  readonly #copy: string;
  readonly #directCopy: string;
  readonly #merge: string | undefined;
  readonly #countedMerge: string | undefined;
  // Whether the next batch tries the straight COPY first (adaptive only).
  #tryDirect: boolean;
  // Sessions (pooled connections) that already have the staging table.
  readonly #prepared = new WeakSet<object>();
  #copyFrom: Promise<CopyFrom> | undefined;

  /**
   * `staging`: the staging table's name, or undefined to COPY straight into the target.
   * `adaptive`: with a staging table, try COPY straight into the target first (see above); only
   * safe where a merge of new keys is a plain insert (upsert mode, deletes marked).
   */
  constructor(layout: TableLayout, staging: string | undefined, adaptive = false) {
    this.#layout = layout;
    this.#staging = staging;
    this.#copy = copyStatement(layout, staging ?? layout.table);
    this.#directCopy = copyStatement(layout, layout.table);
    this.#merge = staging === undefined ? undefined : mergeStatement(layout, staging);
    this.#countedMerge =
      staging === undefined || !adaptive ? undefined : countedMergeStatement(layout, staging);
    this.#tryDirect = this.#countedMerge !== undefined;
  }

  /** Whether the rows always go straight into the target, without a merge. */
  get direct(): boolean {
    return this.#staging === undefined;
  }

  /** Before the transaction: a session's staging table, made once per session. */
  async prepare(client: PostgresPoolClient): Promise<void> {
    if (this.#staging === undefined || this.#prepared.has(client)) return;
    await client.query(stagingTableStatement(this.#layout, this.#staging));
    this.#prepared.add(client);
  }

  /** The rows, column by column (`columns[column][row]`). */
  async write(
    client: PostgresPoolClient,
    columns: readonly (readonly unknown[])[],
    rowCount: number,
  ): Promise<void> {
    if (rowCount === 0) return;
    if (this.#merge === undefined) {
      await this.#stream(client, this.#copy, columns, rowCount);
      return;
    }
    // Counted: the adaptive COPY is merging, and learns from the count when to try again. A
    // merge right after a failed straight COPY is not counted: the table holds keys of the batch.
    const counted = this.#tryDirect ? undefined : this.#countedMerge;
    if (this.#tryDirect && (await this.#straight(client, columns, rowCount))) return;
    await this.#stream(client, this.#copy, columns, rowCount);
    if (counted === undefined) {
      await client.query(this.#merge);
      return;
    }
    const result = await client.query(counted);
    if (Number(result.rows[0]?.inserted) === rowCount) this.#tryDirect = true;
  }

  /**
   * The adaptive COPY's first try: straight into the target, in a savepoint. False (rolled back
   * to the savepoint, and the next batches merge) when a key of the batch is there already.
   */
  async #straight(
    client: PostgresPoolClient,
    columns: readonly (readonly unknown[])[],
    rowCount: number,
  ): Promise<boolean> {
    await client.query('savepoint inlet_copy');
    try {
      await this.#stream(client, this.#directCopy, columns, rowCount);
      return true;
    } catch (error) {
      // Any other refusal (a CHECK, a bad value) goes to the caller's row-by-row fallback.
      if (sqlStateOf(error) !== uniqueViolation) throw error;
      await client.query('rollback to savepoint inlet_copy');
      this.#tryDirect = false;
      return false;
    }
  }

  async #stream(
    client: PostgresPoolClient,
    statement: string,
    columns: readonly (readonly unknown[])[],
    rowCount: number,
  ): Promise<void> {
    const copyFrom = await this.#loadCopyFrom();
    const stream = (client as unknown as { query(stream: Writable): Writable }).query(copyFrom(statement));
    // Rejects once the server refused the COPY: a wait for room then ends with it too (the
    // stream never drains after an error). Awaited below.
    const finished = once(stream, 'finish');
    finished.catch(() => undefined);
    for (let start = 0; start < rowCount && !stream.destroyed; start += copyChunkRows) {
      if (!stream.write(copyText(columns, rowCount, start, Math.min(start + copyChunkRows, rowCount))))
        await Promise.race([once(stream, 'drain'), finished]);
    }
    stream.end();
    await finished;
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
