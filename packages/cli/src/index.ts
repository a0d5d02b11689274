export { commands, inletUsage, runInlet } from './cli';
export { type CliIo, processIo } from './cli-io';
export type { Command } from './command';
export type { DeadLetterSummary } from './commands/dlq-command';
export { type PartitionLag, readGroupLag } from './commands/read-group-lag';
export type { TailLine } from './commands/tail-command';
export { ExitCode } from './exit-codes';
export { UsageError } from './usage-error';
