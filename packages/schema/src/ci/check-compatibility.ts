import { type AnyEventDefinition, InletError, InletErrorCode, type TopicDefinition } from '@inlet/core';
import type { CompatibilityReport } from '../compatibility/check-compatibility';
import type { SchemaDocument, SchemaRegistry } from '../registry/schema-registry';
import { testCompatibility } from '../registry/test-compatibility';
import { documentOf } from '../resolver/schema-resolver';
import { type SubjectNaming, subjectFor } from '../resolver/subject-naming';

export type DefinitionStatus =
  /** Exactly this schema is registered under the subject already. */
  | 'registered'
  /** Not registered yet, and compatible: registering it would succeed. */
  | 'compatible'
  /** Not registered, and it would break consumers. */
  | 'incompatible'
  /** The check could not run (an invalid schema, the registry unreachable...). */
  | 'error';

export interface DefinitionCheck {
  readonly topic: string;
  readonly type: string;
  readonly version: number;
  readonly subject: string;
  readonly status: DefinitionStatus;
  readonly report?: CompatibilityReport;
  readonly error?: InletError;
}

export interface CompatibilityCheckResult {
  /** True when every definition is registered or compatible. */
  readonly ok: boolean;
  readonly definitions: readonly DefinitionCheck[];
}

export interface CheckCompatibilityOptions {
  /** Default `topic-record`, as the schema resolver. */
  readonly subjectNaming?: SubjectNaming;
  /** Called after each definition, for progress. */
  readonly onProgress?: (check: DefinitionCheck, done: number, total: number) => void;
}

function toInletError(error: unknown): InletError {
  return InletError.is(error)
    ? error
    : new InletError(
        InletErrorCode.registryRequestFailed,
        error instanceof Error ? error.message : String(error),
        {
          cause: error,
        },
      );
}

function sortedDefinitions(topic: TopicDefinition): AnyEventDefinition[] {
  return [...topic.events].sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
}

/**
 * For CI, before a producer is deployed: checks every event definition of the given topics
 * against the registry, without registering anything. `ok` is false when any schema would be
 * refused; each definition's report names every breaking change.
 */
export async function checkCompatibility(
  topics: readonly TopicDefinition[],
  registry: SchemaRegistry,
  options: CheckCompatibilityOptions = {},
): Promise<CompatibilityCheckResult> {
  const naming = options.subjectNaming ?? 'topic-record';
  const work = topics.flatMap((topic) =>
    sortedDefinitions(topic).map((definition) => ({ topic, definition })),
  );
  const definitions: DefinitionCheck[] = [];
  const pendingBySubject = new Map<string, SchemaDocument[]>();
  for (const { topic, definition } of work) {
    const subject = subjectFor(naming, topic.name, definition);
    const base = { topic: topic.name, type: definition.type, version: definition.version, subject };
    let check: DefinitionCheck;
    try {
      const document = documentOf(definition);
      if ((await registry.lookup(subject, document)) !== undefined) {
        check = { ...base, status: 'registered' };
      } else {
        const pending = pendingBySubject.get(subject) ?? [];
        const report = await testCompatibility(registry, subject, document, undefined, pending);
        check = { ...base, status: report.compatible ? 'compatible' : 'incompatible', report };
        pendingBySubject.set(subject, [...pending, document]);
      }
    } catch (error) {
      check = { ...base, status: 'error', error: toInletError(error) };
    }
    definitions.push(check);
    options.onProgress?.(check, definitions.length, work.length);
  }
  return {
    ok: definitions.every((check) => check.status === 'registered' || check.status === 'compatible'),
    definitions,
  };
}

/**
 * Registers every definition's schema (in version order per type), for the deploy step that
 * goes with `registration: 'require-registered'` producers. Stops at the first refusal.
 */
export async function registerDefinitions(
  topics: readonly TopicDefinition[],
  registry: SchemaRegistry,
  options: { readonly subjectNaming?: SubjectNaming } = {},
): Promise<{ readonly subject: string; readonly id: number; readonly version: number }[]> {
  const naming = options.subjectNaming ?? 'topic-record';
  const registered: { subject: string; id: number; version: number }[] = [];
  for (const topic of topics) {
    for (const definition of sortedDefinitions(topic)) {
      const subject = subjectFor(naming, topic.name, definition);
      const result = await registry.register(subject, documentOf(definition));
      registered.push({ subject, id: result.id, version: result.version });
    }
  }
  return registered;
}
