// Preparing an optimizer's update: one dispatch over the whole parameter arena, and the buffers it binds.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { ceilDiv, gridFor } from '../kernels/grid.js';
import type { OptimizerDef, StepInfo } from './optimizer.js';

/** What an update binds besides its uniforms. `length` is the arena's length in floats (a multiple of 64). */
export interface UpdateBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  /** Where the telemetry wrote this step's non-finite flag and gradient norm. */
  metrics: GPUBuffer;
  /** The sticky halt flag (one u32). */
  control: GPUBuffer;
  /** chunkOptions() of the optimizer, uploaded. */
  chunkOpts: GPUBuffer;
  state: ReadonlyMap<string, GPUBuffer>;
  length: number;
}

const FIXED = new Set(['hp', 'grad', 'theta', 'metrics', 'control', 'chunk_opts']);

/** The optimizer's update as one dispatch; state bindings this configuration does not use get a placeholder. */
export async function prepareUpdate(rt: Runtime, optimizer: OptimizerDef, b: UpdateBuffers): Promise<Dispatch> {
  const n = b.length;
  const kernel = await rt.kernel(optimizer.shader, { constants: { WG: 256, ...optimizer.constants } });
  const state: Record<string, GPUBuffer> = {};
  const needs: Record<string, number> = { grad: n * 4, theta: n * 4, chunk_opts: (n / 64) * 8 };
  let unused = 0;
  for (const binding of kernel.entry.bindings) {
    if (FIXED.has(binding.name)) continue;
    const buf = b.state.get(binding.name);
    state[binding.name] = buf ?? rt.placeholderAt(unused++);
    if (buf) needs[binding.name] = n * 4;
  }
  const zeros = Object.fromEntries(kernel.shader.uniformLayout('hp').fields.map((f) => [f.name, 0]));
  return rt.prepare(kernel, {
    buffers: { grad: b.grads, theta: b.params, metrics: b.metrics, control: b.control, chunk_opts: b.chunkOpts, ...state },
    uniforms: { hp: { ...zeros, ...optimizer.hyper, n, step: 1, lr: optimizer.lr, max_norm: optimizer.clipNorm } },
    workgroups: gridFor(ceilDiv(n / 4, 256)),
    needs,
    label: `update:${optimizer.name}`,
  });
}

/** Point a prepared update at this step: its count and rate, and where its flag and gradient norm are. */
export function setUpdateStep(update: Dispatch, info: StepInfo, flagIndex: number, normIndex: number): void {
  update.setUniforms('hp', { flag_index: flagIndex, norm_index: normIndex, step: info.step, lr: info.lr });
}

/** The optimizer's state arenas for `n` floats, each filled with its initial value. */
export function createState(rt: Runtime, optimizer: OptimizerDef, n: number): Map<string, GPUBuffer> {
  return new Map(
    optimizer.state.map((s) => {
      const init = optimizer.stateInit[s] ?? 0;
      const buf = init === 0 ? rt.buffers.create(n * 4, { label: `state:${s}` }) : rt.upload(new Float32Array(n).fill(init), `state:${s}`);
      return [s, buf];
    }),
  );
}
