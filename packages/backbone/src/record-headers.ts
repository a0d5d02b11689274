import type { RecordHeader } from '@inlet/core';

/** A record's headers as the log keeps them: in the order written, values never null. */
export type StoredHeaders = readonly (RecordHeader & { readonly value: Buffer })[];

export const noHeaders: StoredHeaders = Object.freeze([]);
