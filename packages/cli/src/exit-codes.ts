/** The exit codes of every `inlet` command. */
export const ExitCode = {
  /** Done; nothing wrong found. */
  ok: 0,
  /** Done, and it found something (incompatible schemas), or the action was refused (active group). */
  failure: 1,
  /** The command line or configuration is wrong; nothing was done. */
  usage: 2,
  /** The command could not run: Kafka or the registry unreachable, a module that does not load. */
  error: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
