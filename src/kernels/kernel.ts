/**
 * How this project adds a kernel to TensorFlow.js: one registered kernel name, implemented as a JavaScript loop
 * on the cpu and wasm backends and as one WGSL program on webgpu, so that every backend runs (and profiles,
 * and counts) the same kernels. Each kernel stands for one kernel that PyTorch launches where tfjs would
 * compose several, and on a GPU every dispatch costs host time whatever its size (docs/webgpu.md).
 *
 * Elsewhere (tfjs-node's 'tensorflow' backend) the kernels are not registered; `hasKernels()` says so and the
 * callers fall back to composing tfjs ops, with the same values.
 */
import { tf } from '../tf.js';

export interface KernelImplementations {
  /** cpu and wasm: allocates the output, reads the inputs' values, loops (see allocateOutput / readValues). */
  loop: tf.KernelFunc;
  /**
   * wasm, where a JavaScript loop is slower than wasm's own SIMD kernels (large elementwise work): compose
   * those kernels directly (see callKernel), as tfjs's own composite kernels do. Defaults to `loop`.
   */
  wasm?: tf.KernelFunc;
  /** webgpu: runs one WGSL program through tfjs-backend-webgpu's own runner (see runProgram). */
  webgpu: tf.KernelFunc;
}

/** Registers `kernelName` on cpu, wasm and webgpu (once: a second call, e.g. from a reloaded module, is a no-op). */
export function registerKernel(kernelName: string, { loop, wasm = loop, webgpu }: KernelImplementations): void {
  const implementations: Array<[string, tf.KernelFunc]> = [
    ['cpu', loop],
    ['wasm', wasm],
    ['webgpu', webgpu],
  ];
  for (const [backendName, kernelFunc] of implementations) {
    if (tf.getKernel(kernelName, backendName) === undefined) tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
}

/** True when the active backend has every one of these kernels. */
export function hasKernels(...kernelNames: string[]): boolean {
  const backendName = tf.getBackend();
  return kernelNames.every((name) => tf.getKernel(name, backendName) !== undefined);
}

/** Runs a registered kernel on tensors, as tfjs's own ops do (recorded by the engine, the tape and profiles). */
export function runKernel(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: object = {}): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
}

/** Throws naming the kernel when two inputs that must match element for element do not. */
export function assertSameShape(kernelName: string, a: tf.TensorInfo, b: tf.TensorInfo): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`${kernelName}: inputs of shape [${a.shape.join(',')}] and [${b.shape.join(',')}] must match`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// cpu and wasm
// ---------------------------------------------------------------------------------------------------------

/** The parts of tfjs-backend-wasm's BackendWasm the loops use: tensors live in the WebAssembly heap. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

const isWasm = (backend: unknown): backend is WasmHeap =>
  typeof (backend as Partial<WasmHeap>).typedArrayFromHeap === 'function';

/**
 * A new float32 output on a cpu or wasm backend, and its values to fill: the cpu backend keeps the array it is
 * given, wasm's is a view into its heap. Allocate the output before reading inputs with readValues: a wasm
 * allocation can grow the heap and invalidate earlier views.
 */
export function allocateOutput(backend: unknown, shape: number[]): { info: tf.TensorInfo; values: Float32Array } {
  if (isWasm(backend)) {
    const info = backend.makeOutput(shape, 'float32');
    return { info, values: backend.typedArrayFromHeap(info) };
  }
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  return { info: { dataId: (backend as tf.KernelBackend).write(values, shape, 'float32'), shape, dtype: 'float32' }, values };
}

/**
 * Runs another kernel of the active backend directly, inside a kernel: not through the engine, so neither
 * profiled nor taped (the outer kernel is), as tfjs's own composite kernels call each other. Dispose what it
 * returns with disposeIntermediate unless it is the result.
 */
export function callKernel(backend: unknown, kernelName: string, inputs: Record<string, tf.TensorInfo>, attrs: object = {}): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, tf.getBackend());
  if (kernel === undefined) throw new Error(`no kernel '${kernelName}' on backend '${tf.getBackend()}'`);
  return kernel.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

/** Frees a callKernel result or a scalar from scalarOn that the outer kernel does not return. */
export function disposeIntermediate(backend: unknown, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) (backend as tf.KernelBackend).disposeData(info.dataId);
}

/** A float32 scalar on a cpu or wasm backend, for callKernel. */
export function scalarOn(backend: unknown, value: number): tf.TensorInfo {
  const { info, values } = allocateOutput(backend, []);
  values[0] = value;
  return info;
}

/** A float32 input's values on a cpu or wasm backend, without a copy (wasm: a heap view; see allocateOutput). */
export function readValues(backend: unknown, info: tf.TensorInfo): Float32Array {
  return isWasm(backend) ? backend.typedArrayFromHeap(info) : ((backend as tf.KernelBackend).readSync(info.dataId) as Float32Array);
}

// ---------------------------------------------------------------------------------------------------------
// webgpu
// ---------------------------------------------------------------------------------------------------------

/** The fields of tfjs-backend-webgpu 4.22's WebGPUProgram that our programs set. */
export interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms?: string;
  /** Ours, not tfjs's: the program's own uniforms and their types, in declaration order (runProgram follows it). */
  uniformTypes: UniformTypes;
  getUserCode(): string;
}

/** The WGSL declarations of a program's own uniforms, e.g. `rows : i32, alpha : f32,`. */
export function uniformDeclarations(uniformTypes: UniformTypes): string {
  return Object.entries(uniformTypes).map(([name, type]) => `${name} : ${type},`).join(' ');
}

/** The uniforms a program declares (`name : f32,` in its uniform struct), in order, and their WGSL types. */
export type UniformTypes = Record<string, 'f32' | 'i32'>;
/** A value for each declared uniform, at one run. */
export type UniformValues = Record<string, number>;

const WORKGROUP_SIZE = 64;

/**
 * A program with one thread per output element, laid out flat like tfjs's own unary and binary programs.
 * `body` runs for each `index < uniforms.size`; it reads inputs with tfjs's generated
 * `get<Name>ByOutputIndex(index)` (which broadcasts a scalar input) or by indexing `<Name>[i]`, reads
 * `uniforms.<name>` (declared in `uniformTypes`), and writes with `setOutputAtIndex(index, value)`.
 */
export function flatProgram(
  shaderKey: string,
  outputShape: number[],
  variableNames: string[],
  uniformTypes: UniformTypes,
  body: string,
): WebGpuProgram {
  const size = tf.util.sizeFromShape(outputShape);
  const uniforms = uniformDeclarations(uniformTypes);
  return {
    outputShape,
    shaderKey,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP_SIZE), 1, 1],
    variableNames,
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    size: true,
    ...(uniforms === '' ? {} : { uniforms }),
    uniformTypes,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** The one method of tfjs-backend-webgpu's WebGPUBackend these kernels call. */
interface WebGpuProgramRunner {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: Array<{ type: 'float32' | 'int32'; data: number[] }>,
  ): tf.TensorInfo;
}

/** Runs `program` on the webgpu backend with a value for each of its uniforms. */
export function runProgram(backend: unknown, program: WebGpuProgram, inputs: tf.TensorInfo[], uniforms: UniformValues = {}): tf.TensorInfo {
  const values = Object.entries(program.uniformTypes).map(([name, type]) => {
    const value = uniforms[name];
    if (value === undefined) throw new Error(`${program.shaderKey}: no value for uniform '${name}'`);
    return { type: type === 'f32' ? ('float32' as const) : ('int32' as const), data: [value] };
  });
  return (backend as WebGpuProgramRunner).runWebGPUProgram(program, inputs, 'float32', values.length > 0 ? values : undefined);
}
