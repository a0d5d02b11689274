import type { InletLogger } from '@inlet/core';
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';

const redactedText = '<redacted>';
const secretKey = /password|passphrase|secret|sasl|token/i;
const maxDepth = 4;

function scrubText(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) scrubbed = scrubbed.replaceAll(secret, redactedText);
  return scrubbed;
}

function scrub(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  if (value instanceof Error) return { name: value.name, message: scrubText(value.message, secrets) };
  if (depth >= maxDepth) return '[object]';
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets, depth + 1));
  const fields: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    fields[key] = secretKey.test(key) ? redactedText : scrub(field, secrets, depth + 1);
  }
  return fields;
}

/** Scrubs secrets from a log entry's text and fields: by field name, and by the secrets' values. */
export function scrubLogFields(
  fields: Readonly<Record<string, unknown>>,
  secrets: readonly string[],
): Record<string, unknown> {
  return scrub(fields, secrets, 0) as Record<string, unknown>;
}

// kafkajs says this of every idempotent producer given a finite retry count, as Inlet's are:
// Inlet bounds kafkajs's retries and retries itself, resending the very same records (which
// the broker deduplicates) or, for other records, renewing the producer id, so it does not hold.
const spuriousWarnings: readonly { readonly namespace: string; readonly message: string }[] = [
  {
    namespace: 'Producer',
    message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees',
  },
];

function isSpurious(namespace: string, message: unknown): boolean {
  return spuriousWarnings.some(
    (spurious) => spurious.namespace === namespace && spurious.message === message,
  );
}

/**
 * Routes kafkajs's own log lines to an {@link InletLogger}, with `component: 'kafkajs'` and the
 * kafkajs namespace as fields. `secrets` (the SASL password) are scrubbed from every line.
 */
export function kafkaJsLogCreator(logger: InletLogger, secrets: () => readonly string[]): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
      if (isSpurious(namespace, message)) return;
      const known = secrets().filter((secret) => secret.length > 0);
      const text = scrubText(String(message), known);
      const fields = scrubLogFields({ component: 'kafkajs', namespace, ...extra }, known);
      try {
        if (level === logLevel.ERROR) logger.error(text, fields);
        else if (level === logLevel.WARN) logger.warn(text, fields);
        else if (level === logLevel.INFO) logger.info(text, fields);
        else logger.debug(text, fields);
      } catch {
        // A failing logger must not break the Kafka client that called it.
      }
    };
}
