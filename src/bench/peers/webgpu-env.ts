// The globals TF.js and jax-js look for, installed over the GPU object Descent itself runs on.
import { dawnInstance } from '../../gpu/device.js';

/** Dawn globals both peers use (buffer/map/shader flags); Descent's device.ts installs all of Dawn's `globals`. */
const REQUIRED_GLOBALS = ['GPUBufferUsage', 'GPUMapMode', 'GPUShaderStage', 'GPUTextureUsage'] as const;

/**
 * The `GPU` object Descent runs on: `navigator.gpu` in a browser, else the Dawn instance Descent created in this
 * Node process (so call `createRuntime()` first: that picks the Vulkan driver and installs Dawn's globals).
 */
export function sharedGpu(): GPU {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu ?? dawnInstance();
  if (!gpu) {
    throw new Error('no WebGPU: create a Descent runtime (createRuntime()) before loading the peers, so they share its Dawn instance');
  }
  return gpu;
}

/**
 * Make `gpu` visible to TF.js and jax-js: both read `navigator.gpu` (jax-js also `navigator.userAgent`) and the
 * WebGPU flag globals. Idempotent; in a browser, where `navigator.gpu` already is `gpu`, it changes nothing.
 * TF.js registers its WebGPU backend at import time only if `navigator.gpu` exists, so call this before importing it.
 */
export function setupPeerEnvironment(gpu: GPU): void {
  const g = globalThis as Record<string, unknown>;
  const missing = REQUIRED_GLOBALS.filter((k) => !(k in g));
  if (missing.length > 0) {
    throw new Error(`WebGPU globals missing (${missing.join(', ')}): create a Descent runtime first, which installs Dawn's globals`);
  }
  // Node 20 has no navigator; Node 21+ has one without `gpu` (and with a userAgent).
  let nav = g.navigator as Record<string, unknown> | undefined;
  if (!nav) {
    nav = {};
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  }
  if (nav.gpu !== gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  if (typeof nav.userAgent !== 'string') {
    Object.defineProperty(nav, 'userAgent', {
      value: `Node.js/${typeof process === 'undefined' ? '' : process.versions.node} (Dawn)`,
      configurable: true,
      writable: true,
    });
  }
}
