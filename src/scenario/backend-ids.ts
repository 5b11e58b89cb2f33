/**
 * Backend ids accepted by `--backend` and by a scenario's `backend` field (`pytorch` is PyTorch, not
 * TensorFlow.js): part of what a scenario declares, so every folder can name a backend without importing the
 * backends themselves (src/backends/).
 */
export const BACKEND_IDS = ['auto', 'cpu', 'wasm', 'webgpu', 'tensorflow', 'tensorflow-gpu', 'pytorch'] as const;
export type BackendId = (typeof BACKEND_IDS)[number];
export type ConcreteBackendId = Exclude<BackendId, 'auto'>;
