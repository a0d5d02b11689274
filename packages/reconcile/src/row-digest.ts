import { createHash } from 'node:crypto';
import { canonicalValue, escapeCanonical } from './canonical-value';

/**
 * A row's canonical text: `k` + its key, then per compared column, in the given (sorted) order,
 * `|` + name + `=` + the canonical value. The same text the SQL side builds on the server.
 */
export function canonicalRow(
  key: string,
  columns: readonly string[],
  row: Readonly<Record<string, unknown>>,
): string {
  let text = `k${escapeCanonical(key)}`;
  for (const column of columns) text += `|${escapeCanonical(column)}=${canonicalValue(row[column], column)}`;
  return text;
}

/** The first 8 bytes of the MD5 of the text, as a signed 64-bit integer (what PostgreSQL's `::bit(64)::bigint` gives). */
export function textDigest(text: string): bigint {
  return createHash('md5').update(text, 'utf8').digest().readBigInt64BE(0);
}

/** A row's 64-bit digest: of its key and compared columns, whatever order the row's properties are in. */
export function rowDigest(
  key: string,
  columns: readonly string[],
  row: Readonly<Record<string, unknown>>,
): bigint {
  return textDigest(canonicalRow(key, columns, row));
}

/** The bucket of a key among `count`: the first 4 bytes of its MD5, unsigned, modulo `count`. */
export function keyBucket(key: string, count: number): number {
  return createHash('md5').update(key, 'utf8').digest().readUInt32BE(0) % count;
}

/** Adds a row digest to a bucket checksum: the sum of the digests modulo 2^64, so order does not matter. */
export function addDigest(checksum: bigint, digest: bigint): bigint {
  return BigInt.asUintN(64, checksum + digest);
}
