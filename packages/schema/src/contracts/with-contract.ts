import {
  type EventContract,
  type EventDefinition,
  InletError,
  InletErrorCode,
  type ValidationIssue,
} from '@inlet/core';
import { type FieldPointer, parseFieldPointer, replaceField, resolveField } from './field-pointer';

/** A declarative constraint on one field (every value it reaches, with `*` segments). */
export interface FieldRule {
  readonly field: FieldPointer;
  /** A name for reports; derived from the constraint when absent. */
  readonly name?: string;
  /** The field must be present (not undefined or null). Otherwise absent fields pass. */
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
  readonly exclusiveMax?: number;
  readonly oneOf?: readonly (string | number | boolean)[];
  readonly pattern?: RegExp;
  readonly minLength?: number;
  readonly maxLength?: number;
}

/** A constraint on the whole event, as code. */
export interface CustomRule<TData> {
  readonly name: string;
  readonly check: (data: TData) => boolean;
  /** Why it matters, shown when it fails. */
  readonly message?: string;
}

export type ContractRule<TData> = FieldRule | CustomRule<TData>;

/** What a field tag means: redact its values in logs and dead-letter copies, or refuse to send them. */
export type TagPolicy = 'redact' | 'refuse';

export interface DataContractSpec<TData> {
  readonly rules?: readonly ContractRule<TData>[];
  /** Field tags, by tag: `{ pii: ['/customer/email', '/customer/name'] }`. */
  readonly tags?: Readonly<Record<string, readonly FieldPointer[]>>;
  /** Each tag's policy. Default `redact`. */
  readonly tagPolicies?: Readonly<Record<string, TagPolicy>>;
}

interface CompiledFieldRule {
  readonly rule: FieldRule;
  readonly name: string;
  readonly segments: readonly string[];
}

function invalid(message: string): InletError {
  return new InletError(InletErrorCode.invalidDefinition, `data contract: ${message}`);
}

function segmentsOf(pointer: FieldPointer, where: string): string[] {
  try {
    return parseFieldPointer(pointer);
  } catch (cause) {
    throw invalid(`${where}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

function describeRule(rule: FieldRule): string {
  const parts: string[] = [];
  if (rule.required) parts.push('required');
  if (rule.min !== undefined) parts.push(`>= ${rule.min}`);
  if (rule.exclusiveMin !== undefined) parts.push(`> ${rule.exclusiveMin}`);
  if (rule.max !== undefined) parts.push(`<= ${rule.max}`);
  if (rule.exclusiveMax !== undefined) parts.push(`< ${rule.exclusiveMax}`);
  if (rule.oneOf !== undefined) parts.push(`one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(', ')}`);
  if (rule.pattern !== undefined) parts.push(`matches ${rule.pattern}`);
  if (rule.minLength !== undefined) parts.push(`length >= ${rule.minLength}`);
  if (rule.maxLength !== undefined) parts.push(`length <= ${rule.maxLength}`);
  return `${rule.field} ${parts.join(', ')}`;
}

function fieldViolation(rule: FieldRule, value: unknown): string | undefined {
  if (value === undefined || value === null) return rule.required ? 'is missing' : undefined;
  const shown = JSON.stringify(value) ?? String(value);
  const numeric =
    rule.min !== undefined ||
    rule.max !== undefined ||
    rule.exclusiveMin !== undefined ||
    rule.exclusiveMax !== undefined;
  if (numeric) {
    if (typeof value !== 'number') return `is ${shown}, not a number`;
    if (rule.min !== undefined && value < rule.min) return `is ${shown}, must be >= ${rule.min}`;
    if (rule.max !== undefined && value > rule.max) return `is ${shown}, must be <= ${rule.max}`;
    if (rule.exclusiveMin !== undefined && value <= rule.exclusiveMin)
      return `is ${shown}, must be > ${rule.exclusiveMin}`;
    if (rule.exclusiveMax !== undefined && value >= rule.exclusiveMax)
      return `is ${shown}, must be < ${rule.exclusiveMax}`;
  }
  if (rule.oneOf !== undefined && !rule.oneOf.includes(value as string | number | boolean)) {
    return `is ${shown}, must be one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  const textual = rule.pattern !== undefined || rule.minLength !== undefined || rule.maxLength !== undefined;
  if (textual) {
    if (typeof value !== 'string') return `is ${shown}, not text`;
    if (rule.pattern !== undefined && !rule.pattern.test(value))
      return `is ${shown}, must match ${rule.pattern}`;
    if (rule.minLength !== undefined && value.length < rule.minLength)
      return `is ${shown}, must be at least ${rule.minLength} long`;
    if (rule.maxLength !== undefined && value.length > rule.maxLength)
      return `is ${shown}, must be at most ${rule.maxLength} long`;
  }
  return undefined;
}

/** Builds the contract of a spec (checked once, here). */
export function dataContract<TData>(spec: DataContractSpec<TData>): EventContract<TData> {
  const fieldRules: CompiledFieldRule[] = [];
  const customRules: CustomRule<TData>[] = [];
  for (const [index, rule] of (spec.rules ?? []).entries()) {
    if ('check' in rule) {
      if (typeof rule.check !== 'function' || typeof rule.name !== 'string' || rule.name.length === 0) {
        throw invalid(`rule ${index} needs a name and a check function`);
      }
      customRules.push(rule);
    } else {
      const segments = segmentsOf(rule.field, `rule ${index}`);
      if (rule.pattern !== undefined && (rule.pattern.global || rule.pattern.sticky)) {
        throw invalid(
          `rule ${index}: a pattern with the g or y flag keeps state between tests; drop the flag`,
        );
      }
      fieldRules.push({ rule, name: rule.name ?? describeRule(rule), segments });
    }
  }
  const redacted: { tag: string; segments: string[] }[] = [];
  const refused: { tag: string; segments: string[] }[] = [];
  for (const [tag, pointers] of Object.entries(spec.tags ?? {})) {
    const policy = spec.tagPolicies?.[tag] ?? 'redact';
    if (policy !== 'redact' && policy !== 'refuse')
      throw invalid(`tag "${tag}": policy must be redact or refuse`);
    for (const pointer of pointers) {
      (policy === 'redact' ? redacted : refused).push({ tag, segments: segmentsOf(pointer, `tag "${tag}"`) });
    }
  }
  for (const tag of Object.keys(spec.tagPolicies ?? {})) {
    if (spec.tags?.[tag] === undefined) throw invalid(`tag policy for "${tag}", but no field has that tag`);
  }

  return Object.freeze({
    violations(data: TData): ValidationIssue[] {
      const issues: ValidationIssue[] = [];
      for (const { rule, name, segments } of fieldRules) {
        const values = resolveField(data, segments);
        if (values.length === 0 && rule.required)
          issues.push({ path: rule.field, message: `rule "${name}": is missing` });
        for (const { path, value } of values) {
          const problem = fieldViolation(rule, value);
          if (problem !== undefined) issues.push({ path, message: `rule "${name}": ${problem}` });
        }
      }
      for (const rule of customRules) {
        let kept: boolean;
        try {
          kept = rule.check(data);
        } catch (cause) {
          issues.push({
            path: `(rule: ${rule.name})`,
            message: `the check threw: ${cause instanceof Error ? cause.message : String(cause)}`,
          });
          continue;
        }
        if (!kept) issues.push({ path: `(rule: ${rule.name})`, message: rule.message ?? 'is not kept' });
      }
      for (const { tag, segments } of refused) {
        for (const { path, value } of resolveField(data, segments)) {
          if (value !== undefined && value !== null) {
            issues.push({ path, message: `is tagged "${tag}", which this contract refuses to send` });
          }
        }
      }
      return issues;
    },
    redact(data: TData): unknown {
      let copy: unknown = data;
      for (const { tag, segments } of [...redacted, ...refused])
        copy = replaceField(copy, segments, `<redacted:${tag}>`);
      return copy;
    },
  });
}

/**
 * Attaches a data contract to an event definition: rules beyond the schema, checked before
 * anything is sent (a violation is INLET_CONTRACT_VIOLATION naming the rule and the field, and
 * nothing is sent), and field tags with a policy (`redact` in logs and dead-letter copies, or
 * `refuse` to send such data at all).
 *
 * ```ts
 * const OrderPlaced = withContract(defineEvent({ ... }), {
 *   rules: [
 *     { field: '/total', min: 0 },
 *     { field: '/currency', oneOf: ['EUR', 'USD'] },
 *     { name: 'lines add up', check: (o) => o.lines.reduce((s, l) => s + l.price, 0) === o.total },
 *   ],
 *   tags: { pii: ['/customer/email'] },
 * });
 * ```
 */
export function withContract<TType extends string, TData>(
  definition: EventDefinition<TType, TData>,
  spec: DataContractSpec<TData>,
): EventDefinition<TType, TData> {
  return definition.withContract(dataContract(spec));
}
