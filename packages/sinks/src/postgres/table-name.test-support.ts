import { uniqueName } from '@inlet/test-support';

// Apart from postgres-sink.test-support.ts, which the child fixtures import: they need not load
// the test runner's support.

/** A table name no other test uses (`uniqueName`, with underscores for SQL). */
export const tableName = (prefix: string): string => uniqueName(prefix).replaceAll('-', '_');
