import type { ComparisonContext, WriterPart } from './comparison-context';
import { wholePart } from './comparison-context';
import { evaluateInstance } from './evaluate-instance';
import { isSchemaObject } from './json-schema-document';
import {
  declaredTypes,
  intersectTypes,
  jsonTypeOf,
  memberSchemas,
  objectMembersModel,
  stringList,
  typeAccepts,
} from './schema-keywords';
import { childNode, resolveReference, type SchemaNode } from './schema-node';
import { expandWriterBranches } from './writer-branches';

const MAX_DEPTH = 16;

/**
 * Whether no value of `part` can satisfy `node`. Only answers `true` when sure; `false` means
 * "maybe they overlap". Used for `oneOf` (exclusivity), `not` and `if`.
 */
export function definitelyDisjoint(
  context: ComparisonContext,
  part: WriterPart,
  node: SchemaNode,
  depth = 0,
): boolean {
  const schema = node.schema;
  if (schema === false) return true;
  if (!isSchemaObject(schema) || depth > MAX_DEPTH || !context.step()) return false;
  if (part.values !== undefined) {
    return part.values.every((value) => evaluateInstance(node, value).outcome === 'invalid');
  }
  const types = declaredTypes(schema);
  if (types !== undefined && intersectTypes(part.types, types).size === 0) return true;
  const listed = Array.isArray(schema.enum)
    ? schema.enum
    : Object.hasOwn(schema, 'const')
      ? [schema.const]
      : undefined;
  if (listed !== undefined && !listed.some((value) => typeAccepts(part.types, jsonTypeOf(value))))
    return true;
  if (schema.$ref !== undefined) {
    const resolution = resolveReference(node, schema.$ref);
    if (resolution.ok && definitelyDisjoint(context, part, resolution.node, depth + 1)) return true;
  }
  const children = (keyword: string): SchemaNode[] => {
    const list = schema[keyword];
    return Array.isArray(list) ? list.map((_, index) => childNode(node, keyword, index) as SchemaNode) : [];
  };
  if (children('allOf').some((child) => definitelyDisjoint(context, part, child, depth + 1))) return true;
  for (const keyword of ['anyOf', 'oneOf']) {
    const branches = children(keyword);
    if (
      branches.length > 0 &&
      branches.every((child) => definitelyDisjoint(context, part, child, depth + 1))
    ) {
      return true;
    }
  }
  return part.types.size === 1 && part.types.has('object') && objectsDisjoint(context, part, node, depth);
}

/**
 * Objects are disjoint when a member both sides must have (required on either side) can take no
 * value both allow — the usual discriminator (`kind: {const: ...}`) — or when the reader requires
 * a member the writer never writes.
 */
function objectsDisjoint(
  context: ComparisonContext,
  part: WriterPart,
  node: SchemaNode,
  depth: number,
): boolean {
  const schema = node.schema as Readonly<Record<string, unknown>>;
  const readerModel = objectMembersModel(node);
  const writerModels = part.branch.nodes.map(objectMembersModel);
  const writerRequired = new Set(
    part.branch.nodes.flatMap((writer) =>
      stringList((writer.schema as Readonly<Record<string, unknown>>).required),
    ),
  );
  const readerRequired = new Set(stringList(schema.required));
  const writerMembers = (name: string) => writerModels.flatMap((model) => memberSchemas(model, name));
  for (const name of readerRequired) {
    if (writerMembers(name).some((member) => member.schema === false)) return true;
  }
  for (const [name, readerMember] of readerModel.properties) {
    if (!readerRequired.has(name) && !writerRequired.has(name)) continue;
    const members = writerMembers(name);
    if (members.some((member) => member.schema === false)) continue;
    const branches = expandWriterBranches(members);
    if (branches.every((branch) => definitelyDisjoint(context, wholePart(branch), readerMember, depth + 1))) {
      return true;
    }
  }
  return false;
}
