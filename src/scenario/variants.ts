/**
 * How a step is written around its strategy (issue 22): torch.compile and the arithmetic it runs in. Vocabulary a
 * run declares (`--compile`, `--precision`), so every folder can name a variant without importing the others
 * (src/results/key.ts makes them dimensions of a cell's key; the PyTorch worker's protocol carries them).
 */

/** How a step is compiled (torch.compile: eager; G and D compiled as modules; the whole step compiled). */
export const COMPILE_MODES = ['eager', 'modules', 'step'] as const;
export type CompileMode = (typeof COMPILE_MODES)[number];

/**
 * The arithmetic a step runs in: fp32; mixed precision under autocast, bf16 without a loss scaler; fp16 with a
 * GradScaler in the form trainers write it: `fp16` one scaler, `scaler.step` per optimizer and `scaler.update()` once
 * per step (PyTorch's AMP examples); `fp16-update-each` one scaler updated after each optimizer's step;
 * `fp16-per-network` one scaler per network, each stepped and updated with its own optimizer.
 */
export const PRECISIONS = ['fp32', 'bf16', 'fp16', 'fp16-update-each', 'fp16-per-network'] as const;
export type Precision = (typeof PRECISIONS)[number];
