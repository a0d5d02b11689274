type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function fullName(schema: { [key: string]: Json }, namespace: string | undefined): string | undefined {
  const name = schema.name;
  if (typeof name !== 'string') return undefined;
  if (name.includes('.')) return name;
  const ownNamespace = typeof schema.namespace === 'string' ? schema.namespace : namespace;
  return ownNamespace ? `${ownNamespace}.${name}` : name;
}

/**
 * Makes an Avro schema that refers to named types registered elsewhere self-contained: the first
 * use of each referenced name is replaced by that type's definition (itself inlined), later uses
 * stay names. `references` maps full names to their parsed schemas.
 */
export function inlineAvroReferences(schema: Json, references: ReadonlyMap<string, Json>): Json {
  const defined = new Set<string>();

  function resolveName(name: string, namespace: string | undefined): string {
    if (name.includes('.') || namespace === undefined) return name;
    const qualified = `${namespace}.${name}`;
    return references.has(qualified) ? qualified : name;
  }

  function visit(node: Json, namespace: string | undefined): Json {
    if (typeof node === 'string') {
      const name = resolveName(node, namespace);
      const referenced = references.get(name);
      if (referenced === undefined || defined.has(name)) return node;
      defined.add(name);
      return visit(referenced, name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : undefined);
    }
    if (Array.isArray(node)) return node.map((branch) => visit(branch, namespace));
    if (node === null || typeof node !== 'object') return node;
    const name = fullName(node, namespace);
    if (name !== undefined) defined.add(name);
    const innerNamespace = name?.includes('.') ? name.slice(0, name.lastIndexOf('.')) : namespace;
    const copy: { [key: string]: Json } = { ...node };
    if (copy.type !== undefined && typeof copy.type !== 'string')
      copy.type = visit(copy.type, innerNamespace);
    else if (
      typeof copy.type === 'string' &&
      !['record', 'enum', 'fixed', 'array', 'map'].includes(copy.type)
    ) {
      copy.type = visit(copy.type, innerNamespace);
    }
    if (Array.isArray(copy.fields)) {
      copy.fields = copy.fields.map((field) =>
        field !== null && typeof field === 'object' && !Array.isArray(field)
          ? { ...field, type: visit(field.type ?? null, innerNamespace) }
          : field,
      );
    }
    if (copy.items !== undefined) copy.items = visit(copy.items, innerNamespace);
    if (copy.values !== undefined) copy.values = visit(copy.values, innerNamespace);
    return copy;
  }

  return visit(schema, undefined);
}
