import type { ReadIncompatibility } from '../read-compatibility';
import { checkReader } from './check-reader';
import { ComparisonContext } from './comparison-context';
import type { JsonSchemaDocument } from './json-schema-document';
import { createDocumentContext, rootNode } from './schema-node';

/**
 * Every reason a consumer validating with `reader` may reject a value that is valid under
 * `writer`; empty when every such value is also valid under `reader` (writer ⊆ reader).
 *
 * The answer is sound: "empty" is only returned when that holds for the keywords Ajv applies
 * under Inlet's settings. Where the exact answer is out of reach (regular expressions, formats,
 * overlapping `oneOf` branches, keywords that are not modelled) a possible break is reported and
 * its message says so. Messages speak of "reader" and "writer" only, so callers can check either
 * direction. Paths are JSON pointers into the reader's schema (following `$ref`s to their
 * targets); a member only the writer declares is named where the reader would declare it.
 *
 * ```ts
 * const breaks = findJsonSchemaReadIncompatibilities(newSchema, oldSchema); // BACKWARD
 * ```
 */
export function findJsonSchemaReadIncompatibilities(
  reader: JsonSchemaDocument,
  writer: JsonSchemaDocument,
): ReadIncompatibility[] {
  const context = new ComparisonContext(checkReader);
  const readerRoot = rootNode(createDocumentContext('reader', reader));
  const writerRoot = rootNode(createDocumentContext('writer', writer));
  return context.compare([readerRoot], [writerRoot], false);
}
