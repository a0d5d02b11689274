import type { ReadIncompatibility } from '../read-compatibility';
import {
  type ComparisonContext,
  incompatibility,
  Kind,
  summarize,
  type WriterPart,
} from './comparison-context';
import { evaluateInstance } from './evaluate-instance';
import { isSchemaObject } from './json-schema-document';
import {
  describeJson,
  isTrivialSchema,
  memberSchemas,
  numberKeyword,
  type ObjectMembersModel,
  objectMembersModel,
  stringList,
} from './schema-keywords';
import {
  childNode,
  createDocumentContext,
  escapePointerSegment,
  rootNode,
  type SchemaNode,
} from './schema-node';

type SchemaRecord = Readonly<Record<string, unknown>>;

/** Everything the writer branch says about object members. */
interface WriterObject {
  readonly nodes: readonly SchemaNode[];
  readonly models: readonly ObjectMembersModel[];
  readonly required: ReadonlySet<string>;
}

/** The schemas the writer applies to member `name`; `absent` when it never writes that member. */
function writerMembers(writer: WriterObject, name: string): SchemaNode[] | 'absent' {
  const nodes = writer.models.flatMap((model) => memberSchemas(model, name));
  if (nodes.some((node) => node.schema === false)) return 'absent';
  return nodes.filter((node) => !isTrivialSchema(node.schema));
}

function isClosed(model: ObjectMembersModel): boolean {
  return model.additional?.schema === false && model.patterns.length === 0;
}

const STRING_SCHEMA = rootNode(createDocumentContext('synthetic', { type: 'string' }));

/** Required, members, content model, property counts, names and dependencies. */
export function checkObjectKeywords(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
): ReadIncompatibility[] {
  const nodes = part.branch.nodes;
  const writer: WriterObject = {
    nodes,
    models: nodes.map(objectMembersModel),
    required: new Set(nodes.flatMap((node) => stringList((node.schema as SchemaRecord).required))),
  };
  const readerModel = objectMembersModel(reader);
  return [
    ...checkRequired(reader, writer),
    ...checkNamedMembers(context, reader, readerModel, writer),
    ...checkPatternMembers(context, readerModel, writer),
    ...checkAdditionalMembers(context, readerModel, writer),
    ...checkPropertyCounts(reader, writer),
    ...checkPropertyNames(context, reader, writer),
    ...checkDependencies(context, reader, writer),
    ...(readerModel.unevaluatedUnmodelled
      ? [
          incompatibility(
            `${reader.pointer}/unevaluatedProperties`,
            Kind.unsupportedKeywordChanged,
            'reader constrains unevaluatedProperties next to in-place applicators, which is not modelled; reported as a possible break',
          ),
        ]
      : []),
  ];
}

function checkRequired(reader: SchemaNode, writer: WriterObject): ReadIncompatibility[] {
  const found: ReadIncompatibility[] = [];
  stringList((reader.schema as SchemaRecord).required).forEach((name, index) => {
    if (writer.required.has(name)) return;
    const declared = writer.models.some((model) => model.properties.has(name));
    const members = writerMembers(writer, name);
    const why =
      members === 'absent'
        ? 'which the writer never writes'
        : declared
          ? 'which the writer may omit'
          : 'which the writer does not declare and may omit';
    found.push(
      incompatibility(
        `${reader.pointer}/required/${index}`,
        Kind.requiredPropertyAdded,
        `reader requires "${name}", ${why}`,
      ),
    );
  });
  return found;
}

function checkNamedMembers(
  context: ComparisonContext,
  reader: SchemaNode,
  readerModel: ObjectMembersModel,
  writer: WriterObject,
): ReadIncompatibility[] {
  const names = new Set([
    ...readerModel.properties.keys(),
    ...writer.models.flatMap((m) => [...m.properties.keys()]),
  ]);
  const found: ReadIncompatibility[] = [];
  for (const name of names) {
    const writerNodes = writerMembers(writer, name);
    if (writerNodes === 'absent') continue;
    const readerNodes = memberSchemas(readerModel, name).filter((node) => !isTrivialSchema(node.schema));
    if (readerNodes.length === 0) continue;
    const path = `${reader.pointer}/properties/${escapePointerSegment(name)}`;
    if (readerNodes.some((node) => node.schema === false)) {
      found.push(
        incompatibility(
          path,
          Kind.propertyRemovedFromClosedModel,
          `reader does not allow property "${name}", which the writer may write`,
        ),
      );
      continue;
    }
    const nested = context.compare(readerNodes, writerNodes, true);
    if (nested.length === 0) continue;
    const readerDeclares = readerModel.properties.has(name);
    const writerDeclares = writer.models.some((model) => model.properties.has(name));
    if (readerDeclares && writerDeclares) found.push(...nested);
    else if (readerDeclares && writerNodes.length === 0) {
      found.push(
        incompatibility(
          path,
          Kind.propertyAddedToOpenContentModel,
          `reader constrains "${name}" to ${describeJson(readerModel.properties.get(name)?.schema)}, but the writer's open content model may write any value under that name`,
        ),
      );
    } else if (readerDeclares) {
      found.push(
        incompatibility(
          path,
          Kind.propertyAddedToPartiallyOpenContentModel,
          `reader constrains "${name}", which the writer may write as an additional property whose schema the reader's does not cover: ${summarize(nested)}`,
        ),
      );
    } else {
      found.push(
        incompatibility(
          path,
          Kind.propertyRemovedFromPartiallyOpenContentModel,
          `the writer declares "${name}", which the reader only accepts through its additionalProperties or patternProperties schema, and that does not cover it: ${summarize(nested)}`,
        ),
      );
    }
  }
  return found;
}

/**
 * Whether, in one writer conjunct, every member that may reach `readerSchema` is covered: the
 * member schemas of `model` that may apply to such a name are all within `readerSchema`.
 * `skipSources` are writer patterns known to send their names elsewhere in the reader.
 */
function conjunctCovers(
  context: ComparisonContext,
  model: ObjectMembersModel,
  readerSchema: SchemaNode,
  samePattern: string | undefined,
  skipSources: ReadonlySet<string>,
): ReadIncompatibility[] | undefined {
  const identical = model.patterns.find((pattern) => pattern.source === samePattern);
  if (identical !== undefined) {
    const nested = context.compare([readerSchema], [identical.node], true);
    return nested.length === 0 ? undefined : nested;
  }
  if (model.additional === undefined) return context.compare([readerSchema], [], true);
  const sources = [
    model.additional,
    ...model.patterns.filter((p) => !skipSources.has(p.source)).map((p) => p.node),
  ];
  for (const source of sources) {
    if (source.schema === false) continue;
    const nested = context.compare([readerSchema], [source], true);
    if (nested.length > 0) return nested;
  }
  return undefined;
}

function checkPatternMembers(
  context: ComparisonContext,
  readerModel: ObjectMembersModel,
  writer: WriterObject,
): ReadIncompatibility[] {
  const found: ReadIncompatibility[] = [];
  for (const pattern of readerModel.patterns) {
    if (isTrivialSchema(pattern.node.schema)) continue;
    let reason: ReadIncompatibility[] | undefined = context.compare([pattern.node], [], true);
    for (const model of writer.models) {
      reason = conjunctCovers(context, model, pattern.node, pattern.source, new Set());
      if (reason === undefined) break;
    }
    if (reason === undefined) continue;
    found.push(
      incompatibility(
        pattern.node.pointer,
        Kind.patternPropertiesNarrowed,
        `reader constrains properties matching /${pattern.source}/ to ${describeJson(pattern.node.schema)}, but the writer may write such properties that do not match it: ${summarize(reason)}`,
      ),
    );
  }
  return found;
}

function checkAdditionalMembers(
  context: ComparisonContext,
  readerModel: ObjectMembersModel,
  writer: WriterObject,
): ReadIncompatibility[] {
  const additional = readerModel.additional;
  if (additional === undefined || isTrivialSchema(additional.schema)) return [];
  const readerSources = new Set(readerModel.patterns.map((pattern) => pattern.source));
  let reason: ReadIncompatibility[] | undefined = context.compare([additional], [], true);
  for (const model of writer.models) {
    reason = conjunctCovers(context, model, additional, undefined, readerSources);
    if (reason === undefined) return [];
  }
  const declared = [...readerModel.properties.keys()].map((name) => `"${name}"`).join(', ') || 'none';
  const writerOpen = writer.models.every((model) => model.additional === undefined);
  const message =
    additional.schema === false
      ? `reader allows no properties besides those it declares (${declared}), but the writer${
          writerOpen ? "'s open content model" : ''
        } may write others`
      : `reader requires additional properties to match ${describeJson(additional.schema)}, but the writer may write additional properties that do not: ${summarize(reason ?? [])}`;
  return [incompatibility(additional.pointer, Kind.additionalPropertiesNarrowed, message)];
}

function checkPropertyCounts(reader: SchemaNode, writer: WriterObject): ReadIncompatibility[] {
  const schema = reader.schema as SchemaRecord;
  const found: ReadIncompatibility[] = [];
  const readerMin = numberKeyword(schema, 'minProperties');
  const writerMin = Math.max(
    writer.required.size,
    ...writer.nodes.map((node) => numberKeyword(node.schema as SchemaRecord, 'minProperties') ?? 0),
  );
  if (readerMin !== undefined && readerMin > writerMin) {
    found.push(
      incompatibility(
        `${reader.pointer}/minProperties`,
        Kind.minPropertiesIncreased,
        `reader requires at least ${readerMin} properties, but the writer guarantees only ${writerMin}`,
      ),
    );
  }
  const readerMax = numberKeyword(schema, 'maxProperties');
  const writerMaxima = [
    ...writer.nodes.map((node) => numberKeyword(node.schema as SchemaRecord, 'maxProperties')),
    ...writer.models.map((model) => (isClosed(model) ? model.properties.size : undefined)),
  ].filter((value): value is number => value !== undefined);
  const writerMax = writerMaxima.length === 0 ? undefined : Math.min(...writerMaxima);
  if (readerMax !== undefined && (writerMax === undefined || writerMax > readerMax)) {
    found.push(
      incompatibility(
        `${reader.pointer}/maxProperties`,
        Kind.maxPropertiesDecreased,
        `reader allows at most ${readerMax} properties, but the writer allows ${writerMax ?? 'any number'}`,
      ),
    );
  }
  return found;
}

function checkPropertyNames(
  context: ComparisonContext,
  reader: SchemaNode,
  writer: WriterObject,
): ReadIncompatibility[] {
  const names = childNode(reader, 'propertyNames');
  if (names === undefined || isTrivialSchema(names.schema)) return [];
  const coveredByWriterNames = writer.nodes.some((node) => {
    const writerNames = childNode(node, 'propertyNames');
    return writerNames !== undefined && context.covers([names], [writerNames, STRING_SCHEMA], false);
  });
  const coveredByClosedModel = writer.models.some(
    (model) =>
      isClosed(model) &&
      [...model.properties.keys()].every((name) => evaluateInstance(names, name).outcome === 'valid'),
  );
  if (coveredByWriterNames || coveredByClosedModel) return [];
  return [
    incompatibility(
      names.pointer,
      Kind.propertyNamesNarrowed,
      `reader requires property names to match ${describeJson(names.schema)}, but the writer may use other names`,
    ),
  ];
}

function dependencyKeywords(node: SchemaNode): string[] {
  return node.document.dialect === 'draft-07'
    ? ['dependencies']
    : ['dependencies', 'dependentRequired', 'dependentSchemas'];
}

function writerDependencies(writer: WriterObject, name: string): { lists: string[]; schemas: SchemaNode[] } {
  const lists: string[] = [];
  const schemas: SchemaNode[] = [];
  for (const node of writer.nodes) {
    for (const keyword of dependencyKeywords(node)) {
      const dependencies = (node.schema as SchemaRecord)[keyword];
      if (!isSchemaObject(dependencies) || !Object.hasOwn(dependencies, name)) continue;
      const dependency = dependencies[name];
      if (Array.isArray(dependency)) lists.push(...stringList(dependency));
      else schemas.push(childNode(node, keyword, name) as SchemaNode);
    }
  }
  return { lists, schemas };
}

function checkDependencies(
  context: ComparisonContext,
  reader: SchemaNode,
  writer: WriterObject,
): ReadIncompatibility[] {
  const found: ReadIncompatibility[] = [];
  for (const keyword of dependencyKeywords(reader)) {
    const dependencies = (reader.schema as SchemaRecord)[keyword];
    if (!isSchemaObject(dependencies)) continue;
    for (const [name, dependency] of Object.entries(dependencies)) {
      if (writerMembers(writer, name) === 'absent') continue;
      const path = `${reader.pointer}/${keyword}/${escapePointerSegment(name)}`;
      const fromWriter = writerDependencies(writer, name);
      if (Array.isArray(dependency)) {
        const missing = stringList(dependency).filter(
          (needed) => !writer.required.has(needed) && !fromWriter.lists.includes(needed),
        );
        if (missing.length === 0) continue;
        found.push(
          incompatibility(
            path,
            Kind.dependentRequiredAdded,
            `reader requires ${missing.map((m) => `"${m}"`).join(', ')} whenever "${name}" is present, which the writer does not guarantee`,
          ),
        );
        continue;
      }
      const dependencyNode = childNode(reader, keyword, name) as SchemaNode;
      if (isTrivialSchema(dependencyNode.schema)) continue;
      const covered =
        context.covers([dependencyNode], writer.nodes, false) ||
        fromWriter.schemas.some((schema) =>
          context.covers([dependencyNode], [schema, ...writer.nodes], false),
        );
      if (covered) continue;
      found.push(
        incompatibility(
          path,
          Kind.dependentSchemaAdded,
          `reader requires objects with "${name}" to match ${describeJson(dependency)}, which the writer does not guarantee`,
        ),
      );
    }
  }
  return found;
}
