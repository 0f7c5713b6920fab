// Descent's types for TypeScript 5 and older, whose "dom" lib has no WebGPU: @webgpu/types (a dependency)
// supplies GPUDevice, GPUBuffer, ...; "dom" the rest (AbortSignal, Event). A consumer needs no lib or types setting.
/// <reference types="@webgpu/types" />
/// <reference lib="dom" />
export * from '../dist/types/index.js';
