import { createHash } from 'node:crypto';
import type { OrderRow } from './demo-sinks';

/** Sink against source: what the table holds compared with what the topic says it should. */
export interface Reconciliation {
  /** Records read back from the topic, and those of them no one can read (dead-lettered again). */
  readonly recordsRead: number;
  readonly unreadable: number;
  readonly rowsInSink: number;
  readonly rowsExpected: number;
  /** Orders the topic has and the table lacks. */
  readonly missing: number;
  /** Orders the table has and the topic does not. */
  readonly extra: number;
  /** Orders in both, at another revision or status. */
  readonly different: number;
  readonly sinkChecksum: string;
  readonly expectedChecksum: string;
  readonly checksumEqual: boolean;
  /** Everything above agrees. */
  readonly exact: boolean;
}

/**
 * An order-independent checksum of a table: the sum, modulo 2^64, of a hash of each row. Equal
 * tables give equal sums whatever order their rows are read in.
 */
export function tableChecksum(table: ReadonlyMap<string, OrderRow>): string {
  let sum = 0n;
  for (const [orderId, { revision, status }] of table) {
    const digest = createHash('sha256').update(`${orderId}\u0000${revision}\u0000${status}`).digest();
    sum = (sum + digest.readBigUInt64BE(0)) % 2n ** 64n;
  }
  return sum.toString(16).padStart(16, '0');
}

/** The newest revision of each order among the updates read back (the last read of equal ones). */
export function newestOrders(
  updates: Iterable<{ readonly orderId: string; readonly revision: number; readonly status: string }>,
): Map<string, OrderRow> {
  const newest = new Map<string, OrderRow>();
  for (const { orderId, revision, status } of updates) {
    const current = newest.get(orderId);
    if (current === undefined || revision >= current.revision) newest.set(orderId, { revision, status });
  }
  return newest;
}

export function reconcile(
  sink: ReadonlyMap<string, OrderRow>,
  expected: ReadonlyMap<string, OrderRow>,
  read: { readonly recordsRead: number; readonly unreadable: number },
): Reconciliation {
  let missing = 0;
  let different = 0;
  for (const [orderId, want] of expected) {
    const have = sink.get(orderId);
    if (have === undefined) missing += 1;
    else if (have.revision !== want.revision || have.status !== want.status) different += 1;
  }
  let extra = 0;
  for (const orderId of sink.keys()) if (!expected.has(orderId)) extra += 1;
  const sinkChecksum = tableChecksum(sink);
  const expectedChecksum = tableChecksum(expected);
  const checksumEqual = sinkChecksum === expectedChecksum;
  return {
    recordsRead: read.recordsRead,
    unreadable: read.unreadable,
    rowsInSink: sink.size,
    rowsExpected: expected.size,
    missing,
    extra,
    different,
    sinkChecksum,
    expectedChecksum,
    checksumEqual,
    exact: missing === 0 && extra === 0 && different === 0 && checksumEqual && sink.size === expected.size,
  };
}

/** The line the report prints. */
export function reconciliationLine(reconciliation: Reconciliation): string {
  const { rowsInSink, rowsExpected, missing, extra, different, checksumEqual } = reconciliation;
  return `reconciliation: ${rowsInSink} rows in sink, ${rowsExpected} expected, ${missing} missing, ${extra} extra, ${different} different, checksum ${checksumEqual ? 'equal' : 'DIFFERENT'}`;
}
