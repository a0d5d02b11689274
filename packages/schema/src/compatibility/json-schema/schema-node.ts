import { isSchemaObject, type JsonSchemaDialect, jsonSchemaDialectOf } from './json-schema-document';

/** One schema document being compared, with what is needed to resolve its local `$ref`s. */
export interface SchemaDocumentContext {
  /** Tells the documents of one comparison apart in cycle keys (`reader`, `writer`, `synthetic`). */
  readonly label: string;
  readonly root: unknown;
  readonly dialect: JsonSchemaDialect;
  /** Plain-name fragments (`$id: "#name"` in draft-07, `$anchor` from 2019-09) to their pointers. */
  readonly anchors: ReadonlyMap<string, string>;
  readonly rootId: string | undefined;
  /** The document's JSON text: equal texts resolve every `$ref` the same way. */
  readonly fingerprint: string;
  /** Subschemas with an `$id` of their own (a new base URI), where `#...` means something else. */
  readonly nestedBases: readonly string[];
}

/** A subschema and where it sits in its document (a JSON pointer, `''` for the root). */
export interface SchemaNode {
  readonly document: SchemaDocumentContext;
  readonly schema: unknown;
  readonly pointer: string;
}

export function escapePointerSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapePointerSegment(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

export function createDocumentContext(label: string, root: unknown): SchemaDocumentContext {
  const anchors = new Map<string, string>();
  const nestedBases: string[] = [];
  collectAnchors(root, '', anchors, nestedBases, new Set());
  const rootId = isSchemaObject(root) && typeof root.$id === 'string' ? stripFragment(root.$id) : undefined;
  let fingerprint: string;
  try {
    fingerprint = JSON.stringify(root) ?? '';
  } catch {
    fingerprint = `${label}:unserialisable`;
  }
  return { label, root, dialect: jsonSchemaDialectOf(root), anchors, rootId, fingerprint, nestedBases };
}

export function rootNode(document: SchemaDocumentContext): SchemaNode {
  return { document, schema: document.root, pointer: '' };
}

/** A node for the value at `segments` below `node` (`undefined` when absent). */
export function childNode(node: SchemaNode, ...segments: (string | number)[]): SchemaNode | undefined {
  let value: unknown = node.schema;
  let pointer = node.pointer;
  for (const segment of segments) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment];
    else if (isSchemaObject(value) && typeof segment === 'string' && Object.hasOwn(value, segment)) {
      value = value[segment];
    } else return undefined;
    pointer = `${pointer}/${escapePointerSegment(String(segment))}`;
  }
  return { document: node.document, schema: value, pointer };
}

function stripFragment(uri: string): string {
  const hash = uri.indexOf('#');
  return hash === -1 ? uri : uri.slice(0, hash);
}

function collectAnchors(
  value: unknown,
  pointer: string,
  anchors: Map<string, string>,
  nestedBases: string[],
  seen: Set<unknown>,
) {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      collectAnchors(item, `${pointer}/${index}`, anchors, nestedBases, seen);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.$id === 'string' && record.$id.startsWith('#') && record.$id.length > 1) {
    anchors.set(record.$id.slice(1), pointer);
  }
  if (typeof record.$anchor === 'string') anchors.set(record.$anchor, pointer);
  if (pointer !== '' && typeof record.$id === 'string' && !record.$id.startsWith('#'))
    nestedBases.push(pointer);
  for (const [key, child] of Object.entries(record)) {
    // `enum`, `const` and `default` hold data, not schemas: an `$id` inside them is not an anchor.
    if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples') continue;
    collectAnchors(child, `${pointer}/${escapePointerSegment(key)}`, anchors, nestedBases, seen);
  }
}

/** The pointer a local `$ref` designates in its document, or `undefined` when it is not local. */
export function localPointerOf(document: SchemaDocumentContext, ref: string): string | undefined {
  let fragment: string;
  if (ref.startsWith('#')) fragment = ref.slice(1);
  else if (document.rootId !== undefined && ref.startsWith(`${document.rootId}#`)) {
    fragment = ref.slice(document.rootId.length + 1);
  } else if (document.rootId !== undefined && ref === document.rootId) fragment = '';
  else return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(fragment);
  } catch {
    return undefined;
  }
  if (decoded === '' || decoded.startsWith('/')) return decoded;
  return document.anchors.get(decoded);
}

/** Follows a JSON pointer from the document root; `undefined` when it designates nothing. */
export function nodeAtPointer(document: SchemaDocumentContext, pointer: string): SchemaNode | undefined {
  let value: unknown = document.root;
  if (pointer !== '') {
    for (const raw of pointer.slice(1).split('/')) {
      const segment = unescapePointerSegment(raw);
      if (Array.isArray(value) && /^(0|[1-9]\d*)$/.test(segment)) value = value[Number(segment)];
      else if (isSchemaObject(value) && Object.hasOwn(value, segment)) value = value[segment];
      else return undefined;
      if (value === undefined) return undefined;
    }
  }
  return { document, schema: value, pointer };
}

export type ReferenceResolution =
  | { readonly ok: true; readonly node: SchemaNode }
  | { readonly ok: false; readonly reason: string };

/** Resolves the `$ref` of `node` within its own document. */
export function resolveReference(node: SchemaNode, ref: unknown): ReferenceResolution {
  if (typeof ref !== 'string') return { ok: false, reason: '$ref is not a string' };
  const base = node.document.nestedBases.find(
    (at) => node.pointer === at || node.pointer.startsWith(`${at}/`),
  );
  if (base !== undefined) {
    return {
      ok: false,
      reason: `"${ref}" sits under a subschema with its own $id (${base || '/'}), which is not supported`,
    };
  }
  const pointer = localPointerOf(node.document, ref);
  if (pointer === undefined) {
    return { ok: false, reason: `"${ref}" is not a reference within this schema document` };
  }
  const target = nodeAtPointer(node.document, pointer);
  if (target === undefined) return { ok: false, reason: `"${ref}" designates nothing in this schema` };
  if (typeof target.schema !== 'boolean' && !isSchemaObject(target.schema)) {
    return { ok: false, reason: `"${ref}" designates a value that is not a schema` };
  }
  return { ok: true, node: target };
}

/** A key that identifies a node across the documents of one comparison. */
export function nodeKey(node: SchemaNode): string {
  return `${node.document.label}:${node.pointer}`;
}
