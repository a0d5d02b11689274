import { type ChildProcess, spawn } from 'node:child_process';

// Pipelines in child processes (fixtures that print "READY" once started, then "WRITTEN <n>" as
// they go, and close cleanly on SIGTERM), SIGKILLed at random points and started again.

/** A fixture running in a child process. */
export interface PipelineChild {
  readonly process: ChildProcess;
  /** Settles once the child printed READY; rejects if it exits before. */
  readonly ready: Promise<void>;
  /** The last count of written changes it printed. */
  written(): number;
  /** Whether it exited (by itself or by a signal). */
  exited(): boolean;
  /** Why it failed, for an error: its exit and the tail of its stderr. */
  describe(): string;
  /** Sends the signal and waits for it to exit. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

/** Runs the fixture `script` with `node --import tsx --conditions=@inlet/source`, this env added. */
export function startPipelineChild(script: string, env: Readonly<Record<string, string>>): PipelineChild {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@inlet/source', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let written = 0;
  let stdout = '';
  let stderr = '';
  let exit: string | undefined;
  const describe = () =>
    `pipeline child ${exit ?? 'still running'}; stderr: ${stderr.slice(-2_000) || '(empty)'}`;
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('READY')) resolve();
      const last = [...stdout.matchAll(/WRITTEN (\d+)/g)].at(-1);
      if (last !== undefined) written = Number(last[1]);
      // Keep the tail only: a partial line at the end must survive for the next chunk.
      if (stdout.length > 10_000) stdout = stdout.slice(-1_000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-10_000);
    });
    child.once('exit', (code, signal) => {
      exit = signal === null ? `exited with ${code}` : `ended by ${signal}`;
      reject(new Error(`${describe()} before READY`));
    });
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    process: child,
    ready,
    written: () => written,
    exited,
    describe,
    stop: async (signal) => {
      if (exited()) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await gone;
    },
  };
}

/**
 * Polls `probe` every 20 ms until it holds; fails after `timeoutMs`, or at once (with its stderr)
 * when `child` exits meanwhile.
 */
export async function until(
  probe: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  child?: PipelineChild,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (child?.exited()) throw new Error(`waiting for ${what}: ${child.describe()}`);
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${child === undefined ? '' : `: ${child.describe()}`}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface CrashLoopOptions {
  /** The fixture's path. */
  readonly script: string;
  /** Added to the child's environment (this process's is passed on). */
  readonly env: Readonly<Record<string, string>>;
  /** How many children are SIGKILLed before the last one runs to the end. */
  readonly kills: number;
  /** Each child is killed once it wrote `least + random(0..spread)` changes (or `done`). */
  readonly killAfter: { readonly least: number; readonly spread: number };
  /** Whether the target holds everything: the last child runs until it does. */
  readonly done: () => Promise<boolean>;
  /** How long one child may take to reach its kill point; 60 s unless told. */
  readonly roundTimeoutMs?: number;
  /** How long the last child may take to finish; 120 s unless told. */
  readonly finishTimeoutMs?: number;
  /** What `done` means, for a timeout's message. */
  readonly what?: string;
}

/**
 * Starts the fixture `kills` times, SIGKILLing each at a random point, then once more until
 * `done` holds, then SIGTERMs it. Resolves to how many kills came before `done` held.
 */
export async function crashLoop(options: CrashLoopOptions): Promise<{ readonly killedMidway: number }> {
  const { script, env, kills, killAfter, done, roundTimeoutMs = 60_000, finishTimeoutMs = 120_000 } = options;
  let killedMidway = 0;
  for (let round = 0; round < kills; round += 1) {
    const child = startPipelineChild(script, env);
    try {
      await child.ready;
      const target = killAfter.least + Math.floor(Math.random() * killAfter.spread);
      await until(
        async () => child.written() >= target || (await done()),
        `the child to write ${target}`,
        roundTimeoutMs,
        child,
      );
    } finally {
      await child.stop('SIGKILL');
    }
    if (!(await done())) killedMidway += 1;
  }
  const last = startPipelineChild(script, env);
  try {
    await last.ready;
    await until(done, options.what ?? 'the last child to finish', finishTimeoutMs, last);
  } finally {
    await last.stop('SIGTERM');
  }
  return { killedMidway };
}
