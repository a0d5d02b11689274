export { findJsonSchemaIssues, type JsonSchemaIssue, JsonSchemaIssueKind } from './find-json-schema-issues';
export { findJsonSchemaReadIncompatibilities } from './find-json-schema-read-incompatibilities';
export { type JsonSchemaDialect, type JsonSchemaDocument, jsonSchemaDialectOf } from './json-schema-document';
export { JsonSchemaIncompatibilityKind } from './json-schema-incompatibility-kind';
