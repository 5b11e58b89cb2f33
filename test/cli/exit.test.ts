import { describe, expect, it, vi } from 'vitest';
import { EXIT, exitCodeLines, exitCodeOf, isFailedStatus, UsageError } from '../../src/cli/exit.js';
import { OutputWriteError } from '../../src/cli/write-atomic.js';

describe('exitCodeOf', () => {
  it("returns main's own code, 2 for bad input and 3 for a crash of the harness, printing one line or the stack", async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await exitCodeOf('bench', async () => EXIT.failed, [])).toBe(1);
      expect(await exitCodeOf('bench', async () => { throw new UsageError('--out x: cannot be written'); }, [])).toBe(2);
      expect(stderr).toHaveBeenLastCalledWith('bench: error: --out x: cannot be written\n');
      expect(await exitCodeOf('bench', async () => { throw new TypeError("Cannot read properties of undefined (reading 'replace')"); }, [])).toBe(3);
      expect(String(stderr.mock.lastCall![0])).toMatch(/^bench: internal error \(exit code 3\): TypeError: Cannot read properties[\s\S]*\n {4}at /);
    } finally {
      stderr.mockRestore();
    }
  });

  it('returns 2 for a results file that cannot be written, with one line and no stack', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const full = new OutputWriteError('out/results.json', 'ENOSPC', { cause: Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }) });
      expect(await exitCodeOf('bench', async () => { throw full; }, [])).toBe(2);
      expect(stderr).toHaveBeenLastCalledWith(
        'bench: error: out/results.json: cannot be written: the disk is full (ENOSPC); the files written before are kept as they were\n',
      );
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('exitCodeLines', () => {
  it("indents a meaning's later lines under its first, and leaves out 1 for a command that never exits 1", () => {
    const lines = exitCodeLines(null);
    expect(lines[0]).toBe('0  success');
    expect(lines[1]).toMatch(/^2  bad input .*a full disk/);
    expect(lines[2]).toMatch(/^ {3}one line names it/);
    expect(lines.some((line) => line.startsWith('1 '))).toBe(false);
  });
});

describe('isFailedStatus', () => {
  it('fails a run for an errored or diverged cell or training, or a status it does not know, never for ok or raised', () => {
    expect(['ok', 'raised', 'refused'].map(isFailedStatus)).toEqual([false, false, false]);
    expect(['errored', 'diverged', 'timed-out'].map(isFailedStatus)).toEqual([true, true, true]);
  });
});
