import type { CliIo } from './cli-io';

/** Counts and an estimated time left on stderr, for long operations. A no-op when not shown. */
export interface Progress {
  /** `phase` names a step of the operation: a new one starts its own count and estimate. */
  update(done: number, total: number, phase?: string): void;
  finish(): void;
}

export function createProgress(label: string, io: CliIo, forced: boolean | undefined): Progress {
  if (!(forced === true || io.stderrIsTty)) return { update: () => undefined, finish: () => undefined };
  let startedAt = Date.now();
  let lastShown = 0;
  let shown = false;
  let current: string | undefined;
  return {
    update(done, total, phase) {
      const now = Date.now();
      const newPhase = phase !== current;
      if (newPhase) {
        current = phase;
        startedAt = now;
      }
      if (!newPhase && now - lastShown < 200 && done < total) return;
      lastShown = now;
      shown = true;
      const elapsed = (now - startedAt) / 1000;
      const eta = done > 0 && total > done ? ` ETA ${Math.ceil((elapsed / done) * (total - done))}s` : '';
      const name = phase === undefined ? label : `${label} (${phase})`;
      io.stderr(
        `${io.stderrIsTty ? '\r\x1b[K' : ''}${name}: ${done}/${total}${eta}${io.stderrIsTty ? '' : '\n'}`,
      );
    },
    finish() {
      if (shown && io.stderrIsTty) io.stderr('\n');
    },
  };
}
