// Descent's public API.
export { createRuntime, Runtime, type RuntimeOptions, type ShaderSource } from './gpu/runtime.js';
export { describeAdapter, type DeviceOptions, type OptionalFeature } from './gpu/device.js';
export { Tensor, numel } from './gpu/tensor.js';
export { Dispatch, Kernel, type DispatchSpec, type Overrides } from './gpu/kernel.js';
export { ShaderInfo, type BindingInfo, type UniformLayout } from './gpu/shader.js';
export type { BufferRef, TypedData } from './gpu/buffers.js';
export * from './gpu/errors.js';
export { shaderNames, shaderSource } from './kernels/sources.js';
export {
  ACTIVATIONS,
  activation,
  activationGrad,
  prepareActivation,
  prepareActivationGrad,
  type Activation,
  type ActivationOptions,
} from './kernels/activation.js';
export { add, scale, prepareAdd, prepareScale } from './kernels/elementwise.js';
export {
  MATMUL_VARIANTS,
  matmul,
  matmulShape,
  pickMatmulVariant,
  prepareMatmul,
  type MatmulOptions,
  type MatmulVariant,
} from './kernels/matmul.js';
export * as reference from './reference/index.js';
export { Rng } from './util/rng.js';
export { allclose, reductionTolerance, type Tolerance } from './util/allclose.js';
export { allKernelCases, type CaseResult, type KernelCase } from './selftest/cases.js';
