import { InletError, InletErrorCode } from '@inlet/core';
import {
  type CompatibilityReport,
  checkSchemaCompatibility,
  type PreviousVersion,
} from '../compatibility/check-compatibility';
import { referencedTexts, toComparableSchema } from './comparable-schema';
import type { CompatibilityMode, SchemaDocument, SchemaReference, SchemaRegistry } from './schema-registry';

/**
 * Checks a schema against a subject's registered versions under the subject's compatibility (or
 * `mode`), with Inlet's rules, without registering anything. Versions of another schema type
 * are not compared.
 */
export async function testCompatibility(
  registry: SchemaRegistry,
  subject: string,
  document: SchemaDocument,
  mode?: CompatibilityMode,
  /** Schemas that would be registered before this one (numbered after the registered versions). */
  pending: readonly SchemaDocument[] = [],
): Promise<CompatibilityReport> {
  const effective = mode ?? (await registry.compatibility(subject));
  const load = async (reference: SchemaReference): Promise<SchemaDocument> => {
    const found = await registry.version(reference.subject, reference.version);
    if (found === undefined) {
      throw new InletError(
        InletErrorCode.schemaInvalid,
        `reference "${reference.name}" points to ${reference.subject} version ${reference.version}, which does not exist`,
      );
    }
    return found;
  };
  const candidate = toComparableSchema(document, await referencedTexts(document, load));
  const previous: PreviousVersion[] = [];
  if (effective !== 'NONE') {
    const versions = await registry.versions(subject);
    const last = versions.at(-1) ?? 0;
    const all = [
      ...versions.map((version) => ({ version, pending: undefined })),
      ...pending.map((doc, index) => ({ version: last + index + 1, pending: doc })),
    ];
    const against = effective.endsWith('_TRANSITIVE') ? all : all.slice(-1);
    for (const { version, pending: pendingDocument } of against) {
      const stored = pendingDocument ?? (await registry.version(subject, version));
      if (stored === undefined || stored.schemaType !== document.schemaType) continue;
      previous.push({ version, schema: toComparableSchema(stored, await referencedTexts(stored, load)) });
    }
  }
  return checkSchemaCompatibility(candidate, previous, effective);
}
