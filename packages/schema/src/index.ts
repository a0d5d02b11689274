export {
  type CheckCompatibilityOptions,
  type CompatibilityCheckResult,
  checkCompatibility,
  type DefinitionCheck,
  type DefinitionStatus,
  registerDefinitions,
} from './ci/check-compatibility';
export { type CommandIo, runSchemaCheckCommand, schemaCheckUsage } from './ci/schema-check-command';
export {
  AvroIncompatibilityKind,
  findAvroReadIncompatibilities,
} from './compatibility/avro/find-avro-read-incompatibilities';
export {
  type BreakingChange,
  type ComparableSchema,
  type CompatibilityReport,
  checkSchemaCompatibility,
  describeBreakingChange,
  type PreviousVersion,
} from './compatibility/check-compatibility';
export {
  findJsonSchemaIssues,
  findJsonSchemaReadIncompatibilities,
  type JsonSchemaDialect,
  type JsonSchemaDocument,
  JsonSchemaIncompatibilityKind,
  type JsonSchemaIssue,
  JsonSchemaIssueKind,
} from './compatibility/json-schema/index';
export type { ReadIncompatibility } from './compatibility/read-compatibility';
export type { FieldPointer } from './contracts/field-pointer';
export {
  type ContractRule,
  type CustomRule,
  type DataContractSpec,
  dataContract,
  type FieldRule,
  type TagPolicy,
  withContract,
} from './contracts/with-contract';
export { toComparableSchema } from './registry/comparable-schema';
export {
  type ConfluentRegistryOptions,
  createConfluentRegistry,
  type RegistryAuth,
} from './registry/confluent-registry';
export { createEmbeddedRegistry, type EmbeddedRegistryOptions } from './registry/embedded-registry';
export { openSchemaRegistry } from './registry/open-schema-registry';
export { SchemaIncompatibleError } from './registry/schema-incompatible-error';
export {
  type CompatibilityMode,
  compatibilityModes,
  type RegisteredSchema,
  type SchemaDocument,
  type SchemaReference,
  type SchemaRegistry,
  type SchemaType,
} from './registry/schema-registry';
export { testCompatibility } from './registry/test-compatibility';
export {
  createSchemaResolver,
  documentOf,
  type RegistrationPolicy,
  type RegistrySchemaResolver,
  type SchemaResolverOptions,
} from './resolver/schema-resolver';
export { type SubjectNaming, subjectFor } from './resolver/subject-naming';
