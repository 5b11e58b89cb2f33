/**
 * PyTorch's `nn.BCELoss` as the two kernels PyTorch itself launches: `binary_cross_entropy` (the clamped
 * per-element loss; the mean is a separate reduction, as in PyTorch) and `binary_cross_entropy_backward`
 * (its gradient, already divided by the element count for the mean). Written op by op in TensorFlow.js the
 * same loss takes about eighteen kernels and five scalar uploads per loss, forward and backward, which on a GPU
 * is per-dispatch overhead PyTorch never pays.
 *
 * Registered for the backends this project can run a JavaScript or WGSL kernel on: cpu and wasm (one loop over
 * the values) and webgpu (one WGSL program each). Elsewhere (tfjs-node) `hasBceKernels()` is false and
 * src/models/loss.ts uses the op-by-op formula instead.
 */
import { tf } from '../tf.js';

/** Kernel names, as they appear in profiles and kernel counts. */
export const BCE_KERNEL = 'GanBinaryCrossEntropy';
export const BCE_GRAD_KERNEL = 'GanBinaryCrossEntropyGrad';

/** PyTorch clamps each log term at -100 so that a saturated sigmoid gives a finite loss. */
export const LOG_CLAMP = -100;
/** PyTorch's floor under p(1 - p) in BCELoss's gradient. */
export const GRADIENT_EPSILON = 1e-12;

/** Attributes of BCE_GRAD_KERNEL: the element count that the mean divides by. */
export interface BceGradAttrs {
  count: number;
}

// ---------------------------------------------------------------------------------------------------------
// cpu and wasm: plain loops, computed in float64 and stored as float32 like every cpu kernel
// ---------------------------------------------------------------------------------------------------------

/** The clamped per-element loss, `-(t max(log p, -100) + (1 - t) max(log(1 - p), -100))`. */
export function bceElement(p: number, t: number): number {
  return -(t * Math.max(Math.log(p), LOG_CLAMP) + (1 - t) * Math.max(Math.log(1 - p), LOG_CLAMP));
}

/** PyTorch's gradient for one element: `dy (p - t) / max(p (1 - p), 1e-12) / count`. */
export function bceGradElement(dy: number, p: number, t: number, count: number): number {
  return (((p - t) / Math.max((1 - p) * p, GRADIENT_EPSILON)) * dy) / count;
}

type Backend = tf.KernelBackend;

function values(backend: Backend, info: tf.TensorInfo): Float32Array {
  return backend.readSync(info.dataId) as Float32Array;
}

/** A new float32 tensor on `backend` holding `data` (what cpu's makeTensorInfo and wasm's makeOutput do). */
function output(backend: Backend, shape: number[], data: Float32Array): tf.TensorInfo {
  return { dataId: backend.write(data, shape, 'float32'), shape, dtype: 'float32' };
}

function assertSameShape(kernel: string, p: tf.TensorInfo, t: tf.TensorInfo): void {
  if (!tf.util.arraysEqual(p.shape, t.shape)) {
    throw new Error(`${kernel}: prediction [${p.shape.join(',')}] and target [${t.shape.join(',')}] differ in shape`);
  }
}

const loopKernels: tf.KernelFunc[] = [
  ({ inputs, backend }) => {
    const { p, t } = inputs as { p: tf.TensorInfo; t: tf.TensorInfo };
    assertSameShape(BCE_KERNEL, p, t);
    const [pv, tv] = [values(backend as Backend, p), values(backend as Backend, t)];
    const out = new Float32Array(pv.length);
    for (let i = 0; i < out.length; i++) out[i] = bceElement(pv[i]!, tv[i]!);
    return output(backend as Backend, p.shape, out);
  },
  ({ inputs, backend, attrs }) => {
    const { dy, p, t } = inputs as { dy: tf.TensorInfo; p: tf.TensorInfo; t: tf.TensorInfo };
    assertSameShape(BCE_GRAD_KERNEL, p, t);
    const { count } = attrs as unknown as BceGradAttrs;
    const dyValue = values(backend as Backend, dy)[0]!;
    const [pv, tv] = [values(backend as Backend, p), values(backend as Backend, t)];
    const out = new Float32Array(pv.length);
    for (let i = 0; i < out.length; i++) out[i] = bceGradElement(dyValue, pv[i]!, tv[i]!, count);
    return output(backend as Backend, p.shape, out);
  },
];

// ---------------------------------------------------------------------------------------------------------
// webgpu: one WGSL program per kernel, run through tfjs-backend-webgpu's own program runner
// ---------------------------------------------------------------------------------------------------------

/** The fields of tfjs-backend-webgpu 4.22's WebGPUProgram that an elementwise program sets. */
interface ElementwiseProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms?: string;
  getUserCode(): string;
}

/** The one method of tfjs-backend-webgpu's WebGPUBackend that these kernels call (public in its typings). */
interface WebGpuProgramRunner {
  runWebGPUProgram(
    program: ElementwiseProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: Array<{ type: 'float32' | 'int32'; data: number[] }>,
  ): tf.TensorInfo;
}

const WORKGROUP_SIZE = 64;

/** An elementwise program over `shape`, laid out flat like tfjs's own unary and binary programs. */
function elementwiseProgram(shaderKey: string, shape: number[], variableNames: string[], body: string, uniforms?: string): ElementwiseProgram {
  const size = tf.util.sizeFromShape(shape);
  return {
    outputShape: shape,
    shaderKey,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP_SIZE), 1, 1],
    variableNames,
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    size: true,
    ...(uniforms === undefined ? {} : { uniforms }),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

const webgpuKernels: tf.KernelFunc[] = [
  ({ inputs, backend }) => {
    const { p, t } = inputs as { p: tf.TensorInfo; t: tf.TensorInfo };
    assertSameShape(BCE_KERNEL, p, t);
    const program = elementwiseProgram(
      'gan_bce',
      p.shape,
      ['P', 'T'],
      `let p = getPByOutputIndex(index);
          let t = getTByOutputIndex(index);
          // WGSL leaves log(0) undefined (no guaranteed -inf), so the clamp tests the argument as well.
          let logP = select(max(log(p), ${LOG_CLAMP.toFixed(1)}), ${LOG_CLAMP.toFixed(1)}, p <= 0.0);
          let logNotP = select(max(log(1.0 - p), ${LOG_CLAMP.toFixed(1)}), ${LOG_CLAMP.toFixed(1)}, 1.0 - p <= 0.0);
          setOutputAtIndex(index, -(t * logP + (1.0 - t) * logNotP));`,
    );
    return (backend as unknown as WebGpuProgramRunner).runWebGPUProgram(program, [p, t], 'float32');
  },
  ({ inputs, backend, attrs }) => {
    const { dy, p, t } = inputs as { dy: tf.TensorInfo; p: tf.TensorInfo; t: tf.TensorInfo };
    assertSameShape(BCE_GRAD_KERNEL, p, t);
    const { count } = attrs as unknown as BceGradAttrs;
    const program = elementwiseProgram(
      'gan_bce_grad',
      p.shape,
      ['Dy', 'P', 'T'],
      `let dy = getDyByOutputIndex(index);
          let p = getPByOutputIndex(index);
          let t = getTByOutputIndex(index);
          setOutputAtIndex(index, ((p - t) / max((1.0 - p) * p, uniforms.epsilon)) * dy / uniforms.count);`,
      'epsilon : f32, count : f32,',
    );
    return (backend as unknown as WebGpuProgramRunner).runWebGPUProgram(program, [dy, p, t], 'float32', [
      { type: 'float32', data: [GRADIENT_EPSILON] },
      { type: 'float32', data: [count] },
    ]);
  },
];

const IMPLEMENTATIONS: Record<string, tf.KernelFunc[]> = { cpu: loopKernels, wasm: loopKernels, webgpu: webgpuKernels };

for (const [backendName, [loss, grad]] of Object.entries(IMPLEMENTATIONS)) {
  for (const [kernelName, kernelFunc] of [
    [BCE_KERNEL, loss!],
    [BCE_GRAD_KERNEL, grad!],
  ] as const) {
    if (tf.getKernel(kernelName, backendName) === undefined) tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
}

/** True when the active backend has both BCE kernels (cpu, wasm, webgpu); false on tfjs-node. */
export function hasBceKernels(): boolean {
  const backendName = tf.getBackend();
  return tf.getKernel(BCE_KERNEL, backendName) !== undefined && tf.getKernel(BCE_GRAD_KERNEL, backendName) !== undefined;
}
