// The CPU reference: plain loops on Float32Array, float64 accumulation, one file per shader family.
export { matmul, matmulBackward, type RefMatmulOptions } from './matmul.js';
export { activate, activateDerivative, activationForward, activationBackward } from './activation.js';
export { add, scale } from './elementwise.js';
