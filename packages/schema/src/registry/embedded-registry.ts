import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { closedError, InletError, InletErrorCode } from '@inlet/core';
import { normalizedSchemaText } from './comparable-schema';
import { SchemaIncompatibleError } from './schema-incompatible-error';
import {
  type CompatibilityMode,
  compatibilityModes,
  type RegisteredSchema,
  type SchemaDocument,
  type SchemaRegistry,
} from './schema-registry';
import { testCompatibility } from './test-compatibility';

export interface EmbeddedRegistryOptions {
  /** A JSON file the registry is kept in across restarts; in memory only when absent. */
  readonly file?: string;
  /** The global compatibility until set otherwise. Default BACKWARD, as in Confluent. */
  readonly defaultCompatibility?: CompatibilityMode;
}

interface StoredVersion {
  readonly version: number;
  readonly id: number;
  deleted: boolean;
}

interface StoredSubject {
  readonly versions: StoredVersion[];
  compatibility?: CompatibilityMode;
  deleted: boolean;
}

interface StoredState {
  nextId: number;
  compatibility: CompatibilityMode;
  schemas: Record<string, SchemaDocument>;
  subjects: Record<string, StoredSubject>;
}

const fileFormat = 'inlet-embedded-registry/1';

function invalidOption(message: string): InletError {
  return new InletError(InletErrorCode.invalidOption, message);
}

function checkMode(mode: unknown, where: string): CompatibilityMode {
  if (!compatibilityModes.includes(mode as CompatibilityMode)) {
    throw invalidOption(
      `${where} must be one of ${compatibilityModes.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  return mode as CompatibilityMode;
}

function checkDocument(document: SchemaDocument): void {
  if (document.schemaType !== 'AVRO' && document.schemaType !== 'JSON') {
    throw new InletError(
      InletErrorCode.schemaInvalid,
      `schemaType must be AVRO or JSON, got ${String(document.schemaType)}`,
    );
  }
  if (typeof document.schema !== 'string' || document.schema.length === 0) {
    throw new InletError(InletErrorCode.schemaInvalid, 'schema text must be a non-empty string');
  }
}

/**
 * An in-process schema registry with Confluent semantics (global ids, per-subject versions,
 * global and per-subject compatibility, soft and permanent deletes, references), optionally kept
 * in a file. For local runs, the embedded backbone and tests.
 */
export function createEmbeddedRegistry(options: EmbeddedRegistryOptions = {}): SchemaRegistry {
  const initialMode = checkMode(options.defaultCompatibility ?? 'BACKWARD', 'defaultCompatibility');
  let state: StoredState | undefined;
  let loading: Promise<StoredState> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let mutations: Promise<unknown> = Promise.resolve();
  let closed = false;

  // Changes run one at a time: a registration checks, then appends, with awaits in between.
  function serialized<T>(change: () => Promise<T>): Promise<T> {
    const result = mutations.then(change, change);
    mutations = result.catch(() => undefined);
    return result;
  }

  async function load(): Promise<StoredState> {
    if (state !== undefined) return state;
    loading ??= (async () => {
      const fresh: StoredState = { nextId: 1, compatibility: initialMode, schemas: {}, subjects: {} };
      if (options.file === undefined) return fresh;
      let text: string;
      try {
        text = await readFile(options.file, 'utf8');
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return fresh;
        throw new InletError(
          InletErrorCode.registryUnavailable,
          `cannot read registry file ${options.file}`,
          { cause },
        );
      }
      const parsed = JSON.parse(text) as { format?: string; state?: StoredState };
      if (parsed.format !== fileFormat || parsed.state === undefined) {
        throw new InletError(
          InletErrorCode.registryUnavailable,
          `${options.file} is not an Inlet embedded registry file`,
        );
      }
      return parsed.state;
    })();
    state = await loading;
    return state;
  }

  async function persist(current: StoredState): Promise<void> {
    const file = options.file;
    if (file === undefined) return;
    const text = `${JSON.stringify({ format: fileFormat, state: current })}\n`;
    writing = writing.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, file);
    });
    await writing;
  }

  async function open(): Promise<StoredState> {
    if (closed) throw closedError('embedded schema registry');
    return load();
  }

  function liveVersions(current: StoredState, subject: string): StoredVersion[] {
    const stored = current.subjects[subject];
    if (stored === undefined || stored.deleted) return [];
    return stored.versions.filter((version) => !version.deleted);
  }

  function registered(current: StoredState, subject: string, version: StoredVersion): RegisteredSchema {
    const document = current.schemas[version.id] as SchemaDocument;
    return { ...document, id: version.id, subject, version: version.version };
  }

  function findSame(
    current: StoredState,
    subject: string,
    document: SchemaDocument,
  ): StoredVersion | undefined {
    const wanted = normalizedSchemaText(document);
    return liveVersions(current, subject).find((version) => {
      const stored = current.schemas[version.id] as SchemaDocument;
      return stored.schemaType === document.schemaType && normalizedSchemaText(stored) === wanted;
    });
  }

  const registry: SchemaRegistry = {
    kind: 'embedded',

    register: (subject, document) =>
      serialized(async () => {
        const current = await open();
        checkDocument(document);
        const existing = findSame(current, subject, document);
        if (existing !== undefined) return registered(current, subject, existing);
        const report = await testCompatibility(registry, subject, document);
        if (!report.compatible) throw new SchemaIncompatibleError(subject, report);

        const normalized = normalizedSchemaText(document);
        let id = Object.entries(current.schemas).find(
          ([, stored]) =>
            stored.schemaType === document.schemaType && normalizedSchemaText(stored) === normalized,
        )?.[0];
        if (id === undefined) {
          id = String(current.nextId);
          current.nextId += 1;
          current.schemas[id] = {
            schemaType: document.schemaType,
            schema: document.schema,
            ...(document.references === undefined ? {} : { references: [...document.references] }),
          };
        }
        const stored = current.subjects[subject] ?? { versions: [], deleted: false };
        stored.deleted = false;
        const version: StoredVersion = {
          version: (stored.versions.at(-1)?.version ?? 0) + 1,
          id: Number(id),
          deleted: false,
        };
        stored.versions.push(version);
        current.subjects[subject] = stored;
        await persist(current);
        return registered(current, subject, version);
      }),

    async lookup(subject, document) {
      const current = await open();
      const found = findSame(current, subject, document);
      return found === undefined ? undefined : registered(current, subject, found);
    },

    async schemaById(id) {
      const current = await open();
      const document = current.schemas[id];
      if (document === undefined) {
        throw new InletError(InletErrorCode.unknownSchemaId, `schema id ${id} is not in the registry`);
      }
      return document;
    },

    async version(subject, version) {
      const current = await open();
      const versions = liveVersions(current, subject);
      const found = version === 'latest' ? versions.at(-1) : versions.find((v) => v.version === version);
      return found === undefined ? undefined : registered(current, subject, found);
    },

    async versions(subject) {
      return liveVersions(await open(), subject).map((version) => version.version);
    },

    async subjects() {
      const current = await open();
      return Object.keys(current.subjects)
        .filter((subject) => liveVersions(current, subject).length > 0)
        .sort();
    },

    deleteSubject: (subject, deleteOptions = {}) =>
      serialized(async () => {
        const current = await open();
        const stored = current.subjects[subject];
        if (stored === undefined) return [];
        if (deleteOptions.permanent) {
          if (!stored.deleted) {
            throw new InletError(
              InletErrorCode.registryRequestFailed,
              `subject "${subject}" must be soft-deleted before it is deleted permanently`,
            );
          }
          delete current.subjects[subject];
          await persist(current);
          return stored.versions.map((version) => version.version);
        }
        const deleted = stored.versions
          .filter((version) => !version.deleted)
          .map((version) => version.version);
        for (const version of stored.versions) version.deleted = true;
        stored.deleted = true;
        await persist(current);
        return deleted;
      }),

    async compatibility(subject) {
      const current = await open();
      const own = subject === undefined ? undefined : current.subjects[subject]?.compatibility;
      return own ?? current.compatibility;
    },

    setCompatibility: (mode, subject) =>
      serialized(async () => {
        const current = await open();
        checkMode(mode, 'compatibility');
        if (subject === undefined) {
          current.compatibility = mode;
        } else {
          const stored = current.subjects[subject] ?? { versions: [], deleted: false };
          stored.compatibility = mode;
          current.subjects[subject] = stored;
        }
        await persist(current);
      }),

    async close() {
      if (closed) return;
      closed = true;
      await writing;
    },

    async [Symbol.asyncDispose]() {
      await registry.close();
    },
  };
  return registry;
}
