import { InletError, InletErrorCode } from '@inlet/core';
import { type CompatibilityReport, describeBreakingChange } from '../compatibility/check-compatibility';

/** A schema was refused because it would break consumers; `report` names every breaking change. */
export class SchemaIncompatibleError extends InletError {
  override readonly name: string = 'SchemaIncompatibleError';
  readonly subject: string;
  readonly report: CompatibilityReport;

  constructor(subject: string, report: CompatibilityReport, options: { readonly cause?: unknown } = {}) {
    const lines = report.breakingChanges
      .slice(0, 10)
      .map((change) => `  - ${describeBreakingChange(change)}`);
    const more =
      report.breakingChanges.length > 10 ? `\n  (and ${report.breakingChanges.length - 10} more)` : '';
    super(
      InletErrorCode.schemaIncompatible,
      `schema for subject "${subject}" is not ${report.mode} compatible with version(s) ${report.checkedVersions.join(', ')}:\n${lines.join('\n')}${more}`,
      options,
    );
    this.subject = subject;
    this.report = report;
  }
}
