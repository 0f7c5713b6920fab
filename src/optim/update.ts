// Preparing an optimizer's update: one dispatch over the whole parameter arena, and the buffers it binds.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { ceilDiv, gridFor } from '../kernels/grid.js';
import { OptionError } from '../core/errors.js';
import { F32_MAX, type OptimizerDef, type StepInfo, type StepScalars } from './optimizer.js';

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

/** The optimizer each prepared update was made for: its per-step scalars are computed from it. */
const OPTIMIZER_OF = new WeakMap<Dispatch, OptimizerDef>();

/**
 * The uniform values of one step: its count and rate, and the optimizer's per-step scalars computed in
 * float64. A value that would not be a finite f32 (a rate above 3.4e38, or one a correction pushes there)
 * is an OptionError naming the optimizer and the step.
 */
export function stepUniforms(optimizer: OptimizerDef, info: StepInfo): { step: number; lr: number } & StepScalars {
  const scalars = optimizer.scalars(info.step, info.lr);
  for (const [name, v] of [
    ['learning rate', info.lr],
    ['step_lr', scalars.step_lr],
    ['root_scale', scalars.root_scale],
  ] as const) {
    if (!(Number.isFinite(v) && v >= 0 && v <= F32_MAX)) {
      throw new OptionError(
        `${optimizer.name}: ${name} at step ${info.step} must be a finite number >= 0 and <= 3.4e38 (f32), got ${v} (learning rate ${info.lr})`,
      );
    }
  }
  return { step: info.step, lr: info.lr, ...scalars };
}

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
  const first = stepUniforms(optimizer, { step: 1, lr: optimizer.lr });
  const update = await rt.prepare(kernel, {
    buffers: { grad: b.grads, theta: b.params, metrics: b.metrics, control: b.control, chunk_opts: b.chunkOpts, ...state },
    uniforms: { hp: { ...zeros, ...optimizer.hyper, n, ...first, max_norm: optimizer.clipNorm } },
    workgroups: gridFor(ceilDiv(n / 4, 256)),
    needs,
    label: `update:${optimizer.name}`,
  });
  OPTIMIZER_OF.set(update, optimizer);
  return update;
}

/**
 * Point a prepared update at this step: its count, its rate and the per-step scalars (stepUniforms), and
 * where its flag and gradient norm are.
 */
export function setUpdateStep(update: Dispatch, info: StepInfo, flagIndex: number, normIndex: number): void {
  const optimizer = OPTIMIZER_OF.get(update);
  if (!optimizer) throw new OptionError(`setUpdateStep: '${update.label}' was not made by prepareUpdate`);
  update.setUniforms('hp', { flag_index: flagIndex, norm_index: normIndex, ...stepUniforms(optimizer, info) });
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
