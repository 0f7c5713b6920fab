// Descent's types for TypeScript 6 and newer, whose "dom" lib declares WebGPU itself (adding @webgpu/types
// there would declare it twice).
/// <reference lib="dom" />
export * from '../dist/types/index.js';
