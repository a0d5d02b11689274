/** Where a command writes and what it reads from its surroundings; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Whether stderr is a terminal: progress is shown only then (or with `--progress`). */
  readonly stderrIsTty: boolean;
  /** Aborted on SIGINT by the real entry point, so long reads stop cleanly. */
  readonly signal?: AbortSignal;
}

/** The process's own streams and environment. */
export function processIo(signal?: AbortSignal): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stderrIsTty: process.stderr.isTTY === true,
    ...(signal === undefined ? {} : { signal }),
  };
}
