import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io';
import { createProgress } from './progress';

function io(stderrIsTty: boolean): { io: CliIo; written: string[] } {
  const written: string[] = [];
  return {
    written,
    io: {
      stdout: () => undefined,
      stderr: (text) => void written.push(text),
      env: {},
      cwd: '.',
      stderrIsTty,
    },
  };
}

describe('createProgress', () => {
  it('is silent when stderr is not a terminal and --progress is not given', () => {
    const target = io(false);
    const progress = createProgress('read', target.io, undefined);
    progress.update(5, 5);
    progress.finish();
    expect(target.written).toEqual([]);
  });

  it('shows counts with --progress, and rewrites one line on a terminal', () => {
    const forced = io(false);
    createProgress('read', forced.io, true).update(3, 3);
    expect(forced.written).toEqual(['read: 3/3\n']);
    const tty = io(true);
    const progress = createProgress('read', tty.io, undefined);
    progress.update(10, 10);
    progress.finish();
    expect(tty.written).toEqual(['\r\x1b[Kread: 10/10', '\n']);
  });

  it('names the phase, and shows the first step of a new phase at once', () => {
    const forced = io(false);
    const progress = createProgress('reconcile', forced.io, true);
    progress.update(0, 1_000, 'reading');
    progress.update(10, 1_000, 'reading');
    progress.update(0, 2, 'summarising');
    expect(forced.written).toEqual(['reconcile (reading): 0/1000\n', 'reconcile (summarising): 0/2\n']);
  });
});
