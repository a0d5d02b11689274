import { type ChildProcess, spawn } from 'node:child_process';
import { until } from './windowing-faults.test-support';

// Windowing instances in child processes (fixtures/windowing-child.fixture.ts), SIGKILLed at
// random points and started again.

/** What a child last printed about itself. */
export interface ChildStats {
  readonly handled: number;
  /** Checkpoints it committed. */
  readonly checkpoints: number;
  readonly restored: { readonly partitions: number; readonly records: number; readonly ms: number };
  readonly late: Readonly<Record<string, number>>;
}

export interface WindowingChild {
  readonly process: ChildProcess;
  /** Settles once the child printed READY; rejects if it exits before. */
  readonly ready: Promise<void>;
  /** Its last STATS line, if any yet. */
  stats(): ChildStats | undefined;
  /** Whether it printed CAUGHT_UP: it handled the whole input, and checkpointed it. */
  caughtUp(): boolean;
  exited(): boolean;
  /** Its exit and the tail of its stderr, for an error. */
  describe(): string;
  /** Sends the signal and waits for it to exit. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

/** Runs `script` with `node --import tsx --conditions=@inlet/source`, with `env` added. */
export function startWindowingChild(script: string, env: Readonly<Record<string, string>>): WindowingChild {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@inlet/source', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stats: ChildStats | undefined;
  let caughtUp = false;
  let pending = '';
  let stderr = '';
  let exit: string | undefined;
  const describe = () =>
    `child ${exit ?? 'still running'}; last stats ${JSON.stringify(stats)}; stderr: ${stderr.slice(-2_000) || '(empty)'}`;
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'READY') resolve();
        else if (line === 'CAUGHT_UP') caughtUp = true;
        else if (line.startsWith('STATS ')) stats = JSON.parse(line.slice('STATS '.length)) as ChildStats;
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-10_000);
    });
    child.once('exit', (code, signal) => {
      exit = signal === null ? `exited with ${code}` : `ended by ${signal}`;
      reject(new Error(`${describe()} before READY`));
    });
  });
  ready.catch(() => undefined);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    process: child,
    ready,
    stats: () => stats,
    caughtUp: () => caughtUp,
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

export interface KillLoopOptions {
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** How many children are SIGKILLed before the last one runs to the end. */
  readonly kills: number;
  /** Each child is killed once it handled `least + random(0..spread)` events and committed a checkpoint. */
  readonly killAfter: { readonly least: number; readonly spread: number };
  readonly roundTimeoutMs?: number;
  readonly finishTimeoutMs?: number;
}

/**
 * Starts the fixture `kills` times, SIGKILLing each at a random point, then once more until it
 * caught up with the input, then SIGTERMs it. Resolves to each child's last stats, in order, and
 * how many kills landed before a child caught up.
 */
export async function killLoop(
  options: KillLoopOptions,
): Promise<{ readonly children: readonly (ChildStats | undefined)[]; readonly killedMidway: number }> {
  const { script, env, kills, killAfter, roundTimeoutMs = 30_000, finishTimeoutMs = 60_000 } = options;
  const children: (ChildStats | undefined)[] = [];
  let killedMidway = 0;
  for (let round = 0; round < kills; round += 1) {
    const child = startWindowingChild(script, env);
    try {
      await child.ready;
      const target = killAfter.least + Math.floor(Math.random() * killAfter.spread);
      await until(
        async () => {
          if (child.exited()) throw new Error(`child ${round + 1} died: ${child.describe()}`);
          const stats = child.stats();
          return (
            (stats !== undefined && stats.handled >= target && stats.checkpoints > 0) || child.caughtUp()
          );
        },
        `child ${round + 1} to handle ${target} events`,
        roundTimeoutMs,
        () => `: ${child.describe()}`,
      );
    } finally {
      await child.stop('SIGKILL');
      children.push(child.stats());
    }
    if (!child.caughtUp()) killedMidway += 1;
  }
  const last = startWindowingChild(script, env);
  try {
    await last.ready;
    await until(
      async () => {
        if (last.exited()) throw new Error(`the last child died: ${last.describe()}`);
        return last.caughtUp();
      },
      'the last child to finish',
      finishTimeoutMs,
      () => `: ${last.describe()}`,
    );
  } finally {
    await last.stop('SIGTERM');
    children.push(last.stats());
  }
  return { children, killedMidway };
}
