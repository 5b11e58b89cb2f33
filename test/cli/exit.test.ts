import { describe, expect, it, vi } from 'vitest';
import { EXIT, exitCodeOf, UsageError } from '../../src/cli/exit.js';

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
});
