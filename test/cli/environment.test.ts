import { describe, expect, it } from 'vitest';
import { checkPytorchEnvironment } from '../../src/cli/environment.js';
import { UsageError } from '../../src/cli/exit.js';
import { cli } from './run-cli.js';

describe("the pytorch backend's environment variables", () => {
  it('accepts what is unset, empty or in range', () => {
    expect(() => checkPytorchEnvironment({})).not.toThrow();
    expect(() => checkPytorchEnvironment({ GAN_BENCH_TORCH_TIMEOUT_S: '', GAN_BENCH_TORCH_THREADS: '' })).not.toThrow();
    expect(() => checkPytorchEnvironment({ GAN_BENCH_TORCH_TIMEOUT_S: '0.5', GAN_BENCH_TORCH_THREADS: '8' })).not.toThrow();
    expect(() => checkPytorchEnvironment({ GAN_BENCH_TORCH_TIMEOUT_S: '2147483' })).not.toThrow();
  });

  it("refuses a timeout longer than Node's timers allow, or not a number, as bad input naming the variable", () => {
    for (const value of ['1e10', '2147484', 'abc', '-1', '0']) {
      expect(() => checkPytorchEnvironment({ GAN_BENCH_TORCH_TIMEOUT_S: value })).toThrow(UsageError);
      expect(() => checkPytorchEnvironment({ GAN_BENCH_TORCH_TIMEOUT_S: value })).toThrow(`GAN_BENCH_TORCH_TIMEOUT_S must be a number of seconds above 0 and at most 2147483 (Node's longest timer, about 24 days), not '${value}'`);
    }
  });

  it('refuses a thread count that is no whole number from 1 to 4096', () => {
    for (const value of ['two', '0', '1.5', '100000']) {
      expect(() => checkPytorchEnvironment({ GAN_BENCH_TORCH_THREADS: value })).toThrow(`GAN_BENCH_TORCH_THREADS must be a whole number of threads from 1 to 4096, not '${value}'`);
    }
  });

  it('bench exits 2 on a malformed value before anything runs, only where the pytorch backend is in the plan', async () => {
    const refused = await cli('bench', ['test/fixtures/tiny.ts', '--backend', 'pytorch', '--out', '/nonexistent/never'], { GAN_BENCH_TORCH_TIMEOUT_S: '1e10' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^bench: error: GAN_BENCH_TORCH_TIMEOUT_S must be a number of seconds above 0/);
  });
});
