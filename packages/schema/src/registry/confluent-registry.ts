import {
  closedError,
  InletError,
  InletErrorCode,
  type InletLogger,
  Redacted,
  silentLogger,
} from '@inlet/core';
import pRetry, { AbortError } from 'p-retry';
import { normalizedSchemaText } from './comparable-schema';
import { parseRegistryUrl, type RegistryUrl } from './registry-url';
import { SchemaIncompatibleError } from './schema-incompatible-error';
import {
  type CompatibilityMode,
  compatibilityModes,
  type RegisteredSchema,
  type SchemaDocument,
  type SchemaReference,
  type SchemaRegistry,
  type SchemaType,
} from './schema-registry';
import { testCompatibility } from './test-compatibility';

export type RegistryAuth =
  | { readonly type: 'basic'; readonly username: string; readonly password: string | Redacted }
  | { readonly type: 'bearer'; readonly token: string | Redacted | (() => string | Promise<string>) };

export interface ConfluentRegistryOptions {
  /**
   * Base URL, e.g. `http://localhost:8081` (Confluent) or `http://localhost:8080/apis/ccompat/v7`
   * (Apicurio). `http://user:password@host` is taken as basic auth (percent-encode `@`, `:` and `/`
   * in the password); errors and logs show it as `http://user:***@host`. No query or fragment:
   * request paths are appended to it.
   */
  readonly url: string;
  readonly auth?: RegistryAuth;
  /** Per-request timeout. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Retries for retryable failures (network errors, 429, 5xx), with exponential backoff. Default 5. */
  readonly retries?: number;
  readonly minRetryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /**
   * Check compatibility in this client, with Inlet's rules, before registering (default true), so
   * an incompatible schema is refused with a report naming each breaking change whatever the
   * server's own rules are. The server's check still applies.
   */
  readonly checkBeforeRegister?: boolean;
  readonly logger?: InletLogger;
  /** For tests: a fetch to use instead of the global one. */
  readonly fetch?: typeof fetch;
}

interface RegistryErrorBody {
  readonly error_code?: number;
  readonly message?: string;
}

interface SubjectVersionBody {
  readonly subject: string;
  readonly id: number;
  readonly version: number;
  readonly schema: string;
  readonly schemaType?: SchemaType;
  readonly references?: readonly SchemaReference[];
}

const contentType = 'application/vnd.schemaregistry.v1+json';

/** An HTTP answer the client decided on: kept apart from transport failures for retrying. */
class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

interface CheckedOptions {
  readonly url: RegistryUrl;
  readonly auth: RegistryAuth | undefined;
}

function checkOptions(options: ConfluentRegistryOptions): CheckedOptions {
  const url = parseRegistryUrl(options.url);
  if (url.credentials !== undefined && options.auth !== undefined) {
    throw new InletError(
      InletErrorCode.invalidOption,
      `url: "${url.shownUrl}" carries credentials and auth is set too; give them in one place, not both`,
    );
  }
  for (const name of ['requestTimeoutMs', 'retries', 'minRetryDelayMs', 'maxRetryDelayMs'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new InletError(
        InletErrorCode.invalidOption,
        `${name} must be a non-negative number, got ${value}`,
      );
    }
  }
  const auth: RegistryAuth | undefined =
    url.credentials === undefined ? options.auth : { type: 'basic', ...url.credentials };
  return { url, auth };
}

function documentOf(body: {
  readonly schema: string;
  readonly schemaType?: SchemaType;
  readonly references?: readonly SchemaReference[];
}): SchemaDocument {
  return {
    schemaType: body.schemaType ?? 'AVRO',
    schema: body.schema,
    ...(body.references !== undefined && body.references.length > 0 ? { references: body.references } : {}),
  };
}

/**
 * A client for the Confluent Schema Registry REST API (also served by Apicurio's `ccompat`
 * API, Karapace and Redpanda). Schema ids and registrations are cached forever (they are
 * immutable); versions and configuration are always asked for.
 */
export function createConfluentRegistry(options: ConfluentRegistryOptions): SchemaRegistry {
  const { url, auth } = checkOptions(options);
  const { baseUrl, shownUrl } = url;
  const doFetch = options.fetch ?? fetch;
  const logger = options.logger ?? silentLogger;
  const password = auth?.type === 'basic' ? Redacted.make(auth.password) : undefined;
  const staticToken =
    auth?.type === 'bearer' && typeof auth.token !== 'function' ? Redacted.make(auth.token) : undefined;
  const schemasById = new Map<number, SchemaDocument>();
  const registrations = new Map<string, RegisteredSchema>();
  const inFlight = new Set<AbortController>();
  let closed = false;

  async function authorization(): Promise<string | undefined> {
    if (auth === undefined) return undefined;
    if (auth.type === 'basic') {
      const secret = Redacted.value(password as Redacted);
      return `Basic ${Buffer.from(`${auth.username}:${secret}`).toString('base64')}`;
    }
    const token =
      staticToken !== undefined
        ? Redacted.value(staticToken)
        : await (auth.token as () => string | Promise<string>)();
    return `Bearer ${token}`;
  }

  async function attempt(method: string, path: string, body: unknown): Promise<unknown> {
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), options.requestTimeoutMs ?? 10_000);
    try {
      const headers: Record<string, string> = { accept: contentType };
      if (body !== undefined) headers['content-type'] = contentType;
      const authHeader = await authorization();
      if (authHeader !== undefined) headers.authorization = authHeader;
      const response = await doFetch(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: controller.signal,
      });
      const text = await response.text();
      if (!response.ok) {
        let parsed: RegistryErrorBody = {};
        try {
          parsed = JSON.parse(text) as RegistryErrorBody;
        } catch {
          parsed = { message: text.slice(0, 200) };
        }
        throw new RegistryHttpError(
          response.status,
          parsed.error_code,
          parsed.message ?? response.statusText,
        );
      }
      return text.length === 0 ? undefined : JSON.parse(text);
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
  }

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    if (closed) throw closedError('schema registry client');
    try {
      return await pRetry(
        async () => {
          try {
            return await attempt(method, path, body);
          } catch (error) {
            if (error instanceof RegistryHttpError && !isRetryableStatus(error.status))
              throw new AbortError(error);
            if (closed) throw new AbortError(closedError('schema registry client'));
            throw error;
          }
        },
        {
          retries: options.retries ?? 5,
          minTimeout: options.minRetryDelayMs ?? 100,
          maxTimeout: options.maxRetryDelayMs ?? 5_000,
          onFailedAttempt: (failure) => {
            logger.warn('schema registry request failed; retrying', {
              registry: shownUrl,
              method,
              path,
              attempt: failure.attemptNumber,
              retriesLeft: failure.retriesLeft,
              error: failure.message,
            });
          },
        },
      );
    } catch (error) {
      throw classify(method, path, error);
    }
  }

  function classify(method: string, path: string, error: unknown): InletError {
    if (InletError.is(error)) return error;
    const what = `${method} ${shownUrl}${path}`;
    if (error instanceof RegistryHttpError) {
      const detail = `${what}: HTTP ${error.status}${error.errorCode === undefined ? '' : ` (${error.errorCode})`} ${error.message}`;
      if (error.status === 401 || error.status === 403) {
        return new InletError(
          InletErrorCode.registryRequestFailed,
          `schema registry refused the credentials: ${detail}`,
          { cause: error },
        );
      }
      if (error.status === 422)
        return new InletError(InletErrorCode.schemaInvalid, `schema registry: ${detail}`, { cause: error });
      if (isRetryableStatus(error.status)) {
        return new InletError(InletErrorCode.registryUnavailable, `schema registry unavailable: ${detail}`, {
          cause: error,
          retryable: true,
        });
      }
      return new InletError(InletErrorCode.registryRequestFailed, `schema registry: ${detail}`, {
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new InletError(
      InletErrorCode.registryUnavailable,
      `schema registry unreachable: ${what}: ${message}`,
      {
        cause: error,
        retryable: true,
      },
    );
  }

  function notFound(error: unknown): boolean {
    return InletError.is(error) && error.cause instanceof RegistryHttpError && error.cause.status === 404;
  }

  function subjectPath(subject: string): string {
    return `/subjects/${encodeURIComponent(subject)}`;
  }

  function registrationKey(subject: string, document: SchemaDocument): string {
    return `${subject}\u0000${document.schemaType}\u0000${normalizedSchemaText(document)}`;
  }

  function requestBody(document: SchemaDocument) {
    return {
      schema: document.schema,
      ...(document.schemaType === 'AVRO' ? {} : { schemaType: document.schemaType }),
      ...(document.references === undefined ? {} : { references: document.references }),
    };
  }

  async function checkLocally(subject: string, document: SchemaDocument): Promise<void> {
    const report = await testCompatibility(registry, subject, document);
    if (!report.compatible) throw new SchemaIncompatibleError(subject, report);
  }

  const registry: SchemaRegistry = {
    kind: 'confluent',

    async register(subject, document) {
      const key = registrationKey(subject, document);
      const cached = registrations.get(key);
      if (cached !== undefined) return cached;
      const existing = await registry.lookup(subject, document);
      if (existing !== undefined) return existing;
      if (options.checkBeforeRegister !== false) await checkLocally(subject, document);
      let id: number;
      try {
        ({ id } = (await request('POST', `${subjectPath(subject)}/versions`, requestBody(document))) as {
          id: number;
        });
      } catch (error) {
        if (InletError.is(error) && error.cause instanceof RegistryHttpError && error.cause.status === 409) {
          throw new InletError(
            InletErrorCode.schemaIncompatible,
            `schema registry refused an incompatible schema for "${subject}": ${error.cause.message}`,
            { cause: error },
          );
        }
        throw error;
      }
      const registeredNow = await registry.lookup(subject, document);
      const result = registeredNow ?? {
        ...document,
        id,
        subject,
        version: (await registry.versions(subject)).at(-1) ?? 1,
      };
      registrations.set(key, result);
      schemasById.set(result.id, documentOf(result));
      return result;
    },

    async lookup(subject, document) {
      const key = registrationKey(subject, document);
      const cached = registrations.get(key);
      if (cached !== undefined) return cached;
      try {
        const body = (await request(
          'POST',
          subjectPath(subject),
          requestBody(document),
        )) as SubjectVersionBody;
        // Some registries (Apicurio) leave schemaType out of this answer; it is the one asked about.
        const typed = { ...body, schemaType: body.schemaType ?? document.schemaType };
        const result: RegisteredSchema = {
          ...documentOf(typed),
          id: body.id,
          subject: body.subject,
          version: body.version,
        };
        registrations.set(key, result);
        return result;
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },

    async schemaById(id) {
      const cached = schemasById.get(id);
      if (cached !== undefined) return cached;
      try {
        const body = (await request('GET', `/schemas/ids/${id}`)) as {
          schema: string;
          schemaType?: SchemaType;
          references?: SchemaReference[];
        };
        const document = documentOf(body);
        schemasById.set(id, document);
        return document;
      } catch (error) {
        if (notFound(error)) {
          throw new InletError(InletErrorCode.unknownSchemaId, `schema id ${id} is not in the registry`, {
            cause: error,
          });
        }
        throw error;
      }
    },

    async version(subject, version) {
      try {
        const body = (await request(
          'GET',
          `${subjectPath(subject)}/versions/${version}`,
        )) as SubjectVersionBody;
        return { ...documentOf(body), id: body.id, subject: body.subject, version: body.version };
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },

    async versions(subject) {
      try {
        return ((await request('GET', `${subjectPath(subject)}/versions`)) as number[]).sort((a, b) => a - b);
      } catch (error) {
        if (notFound(error)) return [];
        throw error;
      }
    },

    async subjects() {
      return ((await request('GET', '/subjects')) as string[]).sort();
    },

    async deleteSubject(subject, deleteOptions = {}) {
      for (const key of registrations.keys())
        if (key.startsWith(`${subject}\u0000`)) registrations.delete(key);
      try {
        const query = deleteOptions.permanent ? '?permanent=true' : '';
        return ((await request('DELETE', `${subjectPath(subject)}${query}`)) as number[]).sort(
          (a, b) => a - b,
        );
      } catch (error) {
        if (notFound(error)) return [];
        throw error;
      }
    },

    async compatibility(subject) {
      let body: { compatibilityLevel?: string; compatibility?: string } | undefined;
      if (subject !== undefined) {
        try {
          body = (await request(
            'GET',
            `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`,
          )) as typeof body;
        } catch (error) {
          if (!notFound(error)) throw error;
        }
      }
      body ??= (await request('GET', '/config')) as typeof body;
      const mode = body?.compatibilityLevel ?? body?.compatibility;
      if (!compatibilityModes.includes(mode as CompatibilityMode)) {
        throw new InletError(
          InletErrorCode.registryRequestFailed,
          `schema registry answered an unknown compatibility ${JSON.stringify(mode)}`,
        );
      }
      return mode as CompatibilityMode;
    },

    async setCompatibility(mode, subject) {
      if (!compatibilityModes.includes(mode)) {
        throw new InletError(
          InletErrorCode.invalidOption,
          `compatibility must be one of ${compatibilityModes.join(', ')}`,
        );
      }
      await request('PUT', subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`, {
        compatibility: mode,
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const controller of inFlight) controller.abort();
    },

    async [Symbol.asyncDispose]() {
      await registry.close();
    },
  };
  return registry;
}
