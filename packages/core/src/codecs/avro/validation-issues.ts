import type { Type } from 'avsc';
import type { ValidationIssue } from '../../errors';
import { type AvscRecordType, isRecordType, isUnionType, underlyingType } from './avsc-type';
import { isMapKeyMarker, type MapKeyMarker } from './well-formed-strings';

/** One step of a JSON pointer (RFC 6901): `~` and `/` escaped. */
function pointerStep(step: string): string {
  return step.replaceAll('~', '~0').replaceAll('/', '~1');
}

function pointer(steps: readonly string[]): string {
  return steps.map((step) => `/${pointerStep(step)}`).join('');
}

function count(amount: number, noun: string): string {
  return `${amount} ${noun}${amount === 1 ? '' : 's'}`;
}

function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(shown);
}

/** What the schema wanted at this point, in words. */
export function describeExpected(type: Type): string {
  const base = underlyingType(type);
  if (type !== base) return `a valid Date (${type.typeName.replace(/^logical:/, '')})`;
  switch (base.typeName) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'a boolean';
    case 'int':
      return 'an int (an integer from -2^31 to 2^31-1)';
    case 'long':
      return 'a long (a safe integer, within ±(2^53-2))';
    case 'float':
    case 'double':
      return `a ${base.typeName} (a number)`;
    case 'string':
      return 'a string';
    case 'bytes':
      return 'bytes (a Buffer)';
    case 'fixed':
      return `fixed "${base.name}" (a Buffer of exactly ${count((base as Type & { size: number }).size, 'byte')})`;
    case 'enum': {
      const symbols = (base as Type & { symbols: readonly string[] }).symbols;
      const listed = symbols.slice(0, 10).map(quote).join(', ');
      return `one of ${listed}${symbols.length > 10 ? ', …' : ''} (enum "${base.name}")`;
    }
    case 'array':
      return 'an array';
    case 'map':
      return 'an object (map)';
    case 'record':
    case 'error':
      return `an object (record "${base.name}")`;
    default:
      if (isUnionType(base)) return base.types.map(describeExpected).join(', or ');
      return base.typeName;
  }
}

/** What the value actually was, in words. */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing (undefined)';
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return `a Buffer of ${count(value.length, 'byte')}`;
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'an invalid Date' : `Date ${value.toISOString()}`;
  if (Array.isArray(value)) return `an array of ${count(value.length, 'item')}`;
  switch (typeof value) {
    case 'string':
      return `string ${quote(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'object': {
      const constructorName = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
        ?.constructor?.name;
      return typeof constructorName === 'string' && constructorName !== 'Object' && constructorName !== ''
        ? `an object (${constructorName})`
        : 'an object';
    }
    default:
      return `a ${typeof value}`;
  }
}

function describeFailure(failed: Type | MapKeyMarker, found: unknown): string {
  if (isMapKeyMarker(failed)) return 'map key is not well-formed Unicode (it has a lone surrogate)';
  if (failed.typeName === 'string' && typeof found === 'string') {
    return 'expected well-formed Unicode text, found a string with a lone surrogate (UTF-8 cannot carry it)';
  }
  return `expected ${describeExpected(failed)}, found ${describeFound(found)}`;
}

function undeclaredKeys(record: AvscRecordType, value: object): string[] {
  const declared = new Set(record.fields.map((field) => field.name));
  return Object.keys(value).filter((key) => !declared.has(key));
}

/**
 * Checks `value` against `type` and appends one issue per problem found, with the path of the
 * failing value. avsc reports a record with undeclared fields as a whole and stops there, so such
 * a record is reported field by field here and its declared fields are still checked.
 */
export function collectIssues(
  type: Type,
  value: unknown,
  strictFields: boolean,
  steps: readonly string[],
  issues: ValidationIssue[],
): void {
  type.isValid(value, {
    noUndeclaredFields: strictFields,
    errorHook: (path: string[], found: unknown, failed: Type | MapKeyMarker) => {
      const at = [...steps, ...path];
      if (
        strictFields &&
        !isMapKeyMarker(failed) &&
        isRecordType(failed) &&
        typeof found === 'object' &&
        found !== null
      ) {
        collectRecordIssues(failed, found as Record<string, unknown>, at, issues);
        return;
      }
      issues.push({ path: pointer(at), message: describeFailure(failed, found) });
    },
  });
}

function collectRecordIssues(
  record: AvscRecordType,
  value: Record<string, unknown>,
  steps: readonly string[],
  issues: ValidationIssue[],
): void {
  const fieldNames = record.fields.map((field) => field.name).join(', ');
  for (const key of undeclaredKeys(record, value)) {
    issues.push({
      path: pointer([...steps, key]),
      message: `is not a field of record "${record.name}" (its fields: ${fieldNames})`,
    });
  }
  for (const field of record.fields) {
    const fieldValue = value[field.name];
    if (fieldValue === undefined && field.defaultValue() !== undefined) continue;
    collectIssues(field.type, fieldValue, true, [...steps, field.name], issues);
  }
}
