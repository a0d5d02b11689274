/**
 * The closed list of reasons a reader schema may fail to read what a writer schema allows. Each
 * value is stable: match on it, not on the message.
 */
export const JsonSchemaIncompatibilityKind = {
  /** The reader's `type` leaves out some types the writer allows (or `number` became `integer`). */
  typeNarrowed: 'TYPE_NARROWED',
  /** The reader's `type` accepts none of the types the writer allows. */
  typeChanged: 'TYPE_CHANGED',
  /** The reader's schema here is `false`, yet the writer may write a value here. */
  falseSchema: 'FALSE_SCHEMA',
  /** The reader enumerates values (`enum`) where the writer does not. */
  enumAdded: 'ENUM_ADDED',
  /** A value of the writer's `enum`/`const` is missing from the reader's `enum`. */
  enumValueRemoved: 'ENUM_VALUE_REMOVED',
  /** The reader fixes a value (`const`) where the writer does not. */
  constAdded: 'CONST_ADDED',
  /** The reader's `const` differs from the values the writer's `enum`/`const` allows. */
  constChanged: 'CONST_CHANGED',
  /** The reader requires a property the writer may omit. */
  requiredPropertyAdded: 'REQUIRED_PROPERTY_ADDED',
  /** The reader does not allow a property (closed content model, or a `false` schema) the writer may write. */
  propertyRemovedFromClosedModel: 'PROPERTY_REMOVED_FROM_CLOSED_MODEL',
  /** The reader declares a property the writer's open content model may write with any value. */
  propertyAddedToOpenContentModel: 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
  /** The reader declares a property the writer may write under its additionalProperties/patternProperties schema, which the reader's property schema does not cover. */
  propertyAddedToPartiallyOpenContentModel: 'PROPERTY_ADDED_TO_PARTIALLY_OPEN_CONTENT_MODEL',
  /** The writer declares a property the reader accepts only through an additionalProperties/patternProperties schema that does not cover it. */
  propertyRemovedFromPartiallyOpenContentModel: 'PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_CONTENT_MODEL',
  /** The reader's `additionalProperties` rejects undeclared properties the writer may write. */
  additionalPropertiesNarrowed: 'ADDITIONAL_PROPERTIES_NARROWED',
  /** A reader `patternProperties` schema rejects matching properties the writer may write. */
  patternPropertiesNarrowed: 'PATTERN_PROPERTIES_NARROWED',
  /** The reader's `minProperties` is above what the writer guarantees. */
  minPropertiesIncreased: 'MIN_PROPERTIES_INCREASED',
  /** The reader's `maxProperties` is below what the writer allows. */
  maxPropertiesDecreased: 'MAX_PROPERTIES_DECREASED',
  /** The reader's `propertyNames` rejects names the writer may use. */
  propertyNamesNarrowed: 'PROPERTY_NAMES_NARROWED',
  /** The reader's `dependencies`/`dependentRequired` needs properties the writer may omit. */
  dependentRequiredAdded: 'DEPENDENT_REQUIRED_ADDED',
  /** The reader's dependent schema is not guaranteed by the writer. */
  dependentSchemaAdded: 'DEPENDENT_SCHEMA_ADDED',
  /** The reader's `minLength` is above the writer's. */
  minLengthIncreased: 'MIN_LENGTH_INCREASED',
  /** The reader's `maxLength` is below the writer's (or the writer has none). */
  maxLengthDecreased: 'MAX_LENGTH_DECREASED',
  /** The reader has a `pattern` and the writer none. */
  patternAdded: 'PATTERN_ADDED',
  /** The reader's `pattern` differs from the writer's (regular languages are not compared). */
  patternChanged: 'PATTERN_CHANGED',
  /** The reader has a `format` and the writer none. */
  formatAdded: 'FORMAT_ADDED',
  /** The reader's `format` differs from the writer's. */
  formatChanged: 'FORMAT_CHANGED',
  /** The reader's `minimum` is above the writer's lower bound (or the writer has none). */
  minimumIncreased: 'MINIMUM_INCREASED',
  /** The reader's `maximum` is below the writer's upper bound (or the writer has none). */
  maximumDecreased: 'MAXIMUM_DECREASED',
  /** The reader's `exclusiveMinimum` excludes values the writer allows. */
  exclusiveMinimumIncreased: 'EXCLUSIVE_MINIMUM_INCREASED',
  /** The reader's `exclusiveMaximum` excludes values the writer allows. */
  exclusiveMaximumDecreased: 'EXCLUSIVE_MAXIMUM_DECREASED',
  /** The reader's `multipleOf` is not implied by the writer's. */
  multipleOfChanged: 'MULTIPLE_OF_CHANGED',
  /** The reader's `minItems` is above the writer's. */
  minItemsIncreased: 'MIN_ITEMS_INCREASED',
  /** The reader's `maxItems` is below what the writer allows. */
  maxItemsDecreased: 'MAX_ITEMS_DECREASED',
  /** The reader requires `uniqueItems` and the writer does not. */
  uniqueItemsAdded: 'UNIQUE_ITEMS_ADDED',
  /** A positional (tuple) item schema of the reader does not cover what the writer may write there. */
  tupleItemsChanged: 'TUPLE_ITEMS_CHANGED',
  /** The reader's schema for items past its tuple (`additionalItems`, or `items` after `prefixItems`) rejects items the writer may write. */
  additionalItemsNarrowed: 'ADDITIONAL_ITEMS_NARROWED',
  /** The reader's `contains` (with `minContains`/`maxContains`) is not guaranteed by the writer. */
  containsNarrowed: 'CONTAINS_NARROWED',
  /** Some value the writer may write matches none (anyOf), or not exactly one (oneOf), of the reader's branches. */
  combinationNarrowed: 'COMBINATION_NARROWED',
  /** The reader's `not` may exclude values the writer allows. */
  notAdded: 'NOT_ADDED',
  /** The reader's `if`/`then`/`else` may reject values the writer allows. */
  conditionalNarrowed: 'CONDITIONAL_NARROWED',
  /** A `$ref` of the reader does not resolve within its document. */
  referenceUnresolved: 'REFERENCE_UNRESOLVED',
  /** The reader's `$ref`s loop without descending into the value; not decided. */
  referenceCycle: 'REFERENCE_CYCLE',
  /** The reader uses a keyword the rules do not model, in a way the writer does not match exactly. */
  unsupportedKeywordChanged: 'UNSUPPORTED_KEYWORD_CHANGED',
  /** A reader subschema is neither an object nor a boolean. */
  schemaInvalid: 'SCHEMA_INVALID',
  /** The comparison exceeded its work budget before deciding. */
  tooComplex: 'TOO_COMPLEX',
} as const;

export type JsonSchemaIncompatibilityKind =
  (typeof JsonSchemaIncompatibilityKind)[keyof typeof JsonSchemaIncompatibilityKind];
