import type { Type } from 'avsc';
import type { CompatibilityMode } from '../registry/schema-registry';
import { findAvroReadIncompatibilities } from './avro/find-avro-read-incompatibilities';
import { findJsonSchemaReadIncompatibilities, type JsonSchemaDocument } from './json-schema/index';
import type { ReadIncompatibility } from './read-compatibility';

/** A schema ready for comparison: parsed, with its references resolved. */
export type ComparableSchema =
  | { readonly schemaType: 'AVRO'; readonly type: Type }
  | { readonly schemaType: 'JSON'; readonly schema: JsonSchemaDocument };

export interface PreviousVersion {
  readonly version: number;
  readonly schema: ComparableSchema;
}

/** One reason a new schema version would break somebody. */
export interface BreakingChange extends ReadIncompatibility {
  /**
   * `backward`: consumers on the new schema could not read data written with `againstVersion`.
   * `forward`: consumers still on `againstVersion` could not read data written with the new one.
   */
  readonly direction: 'backward' | 'forward';
  readonly againstVersion: number;
}

export interface CompatibilityReport {
  readonly compatible: boolean;
  readonly mode: CompatibilityMode;
  /** The earlier versions the new schema was checked against. */
  readonly checkedVersions: readonly number[];
  readonly breakingChanges: readonly BreakingChange[];
}

function readIncompatibilities(reader: ComparableSchema, writer: ComparableSchema): ReadIncompatibility[] {
  if (reader.schemaType === 'AVRO' && writer.schemaType === 'AVRO') {
    return findAvroReadIncompatibilities(reader.type, writer.type);
  }
  if (reader.schemaType === 'JSON' && writer.schemaType === 'JSON') {
    return findJsonSchemaReadIncompatibilities(reader.schema, writer.schema);
  }
  return [
    {
      path: '',
      kind: 'SCHEMA_TYPE_CHANGED',
      message: `the schema type changed from ${writer.schemaType} to ${reader.schemaType}`,
    },
  ];
}

function directionsOf(mode: CompatibilityMode): readonly ('backward' | 'forward')[] {
  if (mode.startsWith('BACKWARD')) return ['backward'];
  if (mode.startsWith('FORWARD')) return ['forward'];
  if (mode.startsWith('FULL')) return ['backward', 'forward'];
  return [];
}

/**
 * Checks a candidate schema against a subject's earlier versions (oldest first) under a
 * compatibility mode: the latest version only, or every version for the `_TRANSITIVE` modes.
 */
export function checkSchemaCompatibility(
  candidate: ComparableSchema,
  previous: readonly PreviousVersion[],
  mode: CompatibilityMode,
): CompatibilityReport {
  const directions = directionsOf(mode);
  const against = mode.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const breakingChanges: BreakingChange[] = [];
  if (directions.length > 0) {
    for (const { version, schema } of against) {
      for (const direction of directions) {
        const found =
          direction === 'backward'
            ? readIncompatibilities(candidate, schema)
            : readIncompatibilities(schema, candidate);
        for (const change of found) breakingChanges.push({ ...change, direction, againstVersion: version });
      }
    }
  }
  return {
    compatible: breakingChanges.length === 0,
    mode,
    checkedVersions: directions.length === 0 ? [] : against.map(({ version }) => version),
    breakingChanges,
  };
}

/** One line per breaking change, for error messages and the CLI. */
export function describeBreakingChange(change: BreakingChange): string {
  const who =
    change.direction === 'backward'
      ? `consumers on the new schema cannot read data written with version ${change.againstVersion}`
      : `consumers on version ${change.againstVersion} cannot read data written with the new schema`;
  return `${change.path || '(root)'} [${change.kind}] ${who}: ${change.message}`;
}
