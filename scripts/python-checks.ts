/**
 * Runs the PyTorch worker's Python checks with the Python the pytorch backend would use (GAN_BENCH_PYTHON, then each
 * python3/python on PATH that imports torch: src/backends/pytorch/python.ts):
 *   tsx scripts/python-checks.ts pytest    the worker's tests and gan_ddp's (pyproject.toml's [tool.pytest.ini_options])
 *   tsx scripts/python-checks.ts mypy      their type check (pyproject.toml's [tool.mypy])
 * Without a Python that has PyTorch it says so and exits 0, except under CI=true, where that fails. pytest's exit
 * code 5 (no tests collected) is a failure, never a pass.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { findPython } from '../src/backends/pytorch/python.js';

const root = resolve(import.meta.dirname, '..');
const CHECKS = {
  pytest: ['-m', 'pytest', '-q'],
  mypy: ['-m', 'mypy'],
} as const;
type Check = keyof typeof CHECKS;

/** pytest's "no tests were collected". */
const NO_TESTS_COLLECTED = 5;

async function main(argv: string[]): Promise<number> {
  const check = argv[0] as Check | undefined;
  if (check === undefined || !(check in CHECKS)) {
    console.error(`usage: tsx scripts/python-checks.ts ${Object.keys(CHECKS).join('|')}`);
    return 2;
  }
  let python: string;
  try {
    python = (await findPython()).command;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (process.env.CI === 'true') {
      console.error(`python-checks: ${check} cannot run under CI: ${why}`);
      return 1;
    }
    console.log(`python-checks: skipping ${check} (the PyTorch worker's Python checks): ${why}`);
    return 0;
  }
  console.log(`python-checks: ${python} ${CHECKS[check].join(' ')}`);
  const run = spawnSync(python, CHECKS[check], { cwd: root, stdio: 'inherit' });
  if (run.error) {
    console.error(`python-checks: ${python} could not run: ${run.error.message}`);
    return 1;
  }
  if (check === 'pytest' && run.status === NO_TESTS_COLLECTED) {
    console.error('python-checks: pytest collected no tests (exit 5): test/python must hold the worker\'s tests');
    return 1;
  }
  return run.status ?? 1;
}

process.exitCode = await main(process.argv.slice(2));
