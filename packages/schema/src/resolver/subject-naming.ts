import { type AnyEventDefinition, InletError, InletErrorCode } from '@inlet/core';

/**
 * How a topic and an event definition name their registry subject:
 * - `topic`: `<topic>-value` (Confluent's TopicNameStrategy; one schema lineage per topic, so
 *   only for topics that carry one event type);
 * - `record`: `<event type>` (like RecordNameStrategy, keyed by Inlet's event type rather than the
 *   Avro record name; one lineage per type, shared by every topic carrying it);
 * - `topic-record`: `<topic>-<event type>` (like TopicRecordNameStrategy; the default, since an
 *   Inlet topic may carry several types);
 * - or a function of both.
 */
export type SubjectNaming =
  | 'topic'
  | 'record'
  | 'topic-record'
  | ((topic: string, definition: AnyEventDefinition) => string);

export function subjectFor(naming: SubjectNaming, topic: string, definition: AnyEventDefinition): string {
  switch (naming) {
    case 'topic':
      return `${topic}-value`;
    case 'record':
      return definition.type;
    case 'topic-record':
      return `${topic}-${definition.type}`;
    default: {
      if (typeof naming !== 'function') {
        throw new InletError(
          InletErrorCode.invalidOption,
          `subjectNaming must be topic, record, topic-record or a function`,
        );
      }
      const subject = naming(topic, definition);
      if (typeof subject !== 'string' || subject.length === 0) {
        throw new InletError(
          InletErrorCode.invalidOption,
          'subjectNaming function must return a non-empty string',
        );
      }
      return subject;
    }
  }
}
