import type { CliIo } from './cli-io';

/** Counts and an estimated time left on stderr, for long operations. A no-op when not shown. */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

export function createProgress(label: string, io: CliIo, forced: boolean | undefined): Progress {
  if (!(forced === true || io.stderrIsTty)) return { update: () => undefined, finish: () => undefined };
  const startedAt = Date.now();
  let lastShown = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - lastShown < 200 && done < total) return;
      lastShown = now;
      shown = true;
      const elapsed = (now - startedAt) / 1000;
      const eta = done > 0 && total > done ? ` ETA ${Math.ceil((elapsed / done) * (total - done))}s` : '';
      io.stderr(`${io.stderrIsTty ? '\r' : ''}${label}: ${done}/${total}${eta}${io.stderrIsTty ? '' : '\n'}`);
    },
    finish() {
      if (shown && io.stderrIsTty) io.stderr('\n');
    },
  };
}
