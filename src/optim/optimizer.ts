// What an optimizer is to the planner: a shader that updates the whole parameter arena in one dispatch,
// the state arenas it keeps (same layout as the parameters), its hyper-parameters as uniform values, and
// its CPU reference; per-tensor options. The checks of options live in options.ts, re-exported here.
import type { Overrides } from '../gpu/kernel.js';
import type { ArenaLayout, Segment } from '../nn/arena.js';
import { SEGMENT_ALIGN } from '../nn/arena.js';
import { clipScale, type UpdateContext, type Values } from '../reference/optim.js';

export { checkLearningRate, checkOptimizer, checkOptionsObject, commonFields, F32_MAX, resolveOptions, spec } from './options.js';

/** Per-step values every update sees: the learning rate for this step and the optimizer's step (1-based). */
export interface StepInfo {
  step: number;
  lr: number;
}

/** Uniform fields of include/optim_common.wgsl's Hyper block that an optimizer sets once (the rest are 0). */
export interface HyperValues {
  beta1?: number;
  beta2?: number;
  /** Complements are rounded once from float64: 1 - f32(0.999) is 1.3e-5 away from 0.001. */
  one_minus_beta1?: number;
  one_minus_beta2?: number;
  eps?: number;
  momentum?: number;
  dampening?: number;
  rho?: number;
  one_minus_rho?: number;
}

/**
 * Hyper fields that change every step, computed on the CPU in float64 (f32 `pow` on a GPU may be a few ulp
 * off, which moves 1 - beta2^t by 1e-4): the rate the update applies, with this step's corrections folded in,
 * and the factor on the root in Adam's denominator.
 */
export interface StepScalars {
  step_lr: number;
  root_scale: number;
}

/** Options for a subset of the parameter tensors. */
export interface ParamGroup {
  /** Which tensors: a name, a regular expression on names, or a predicate on name and role. */
  match: string | RegExp | ((name: string, role: Segment['role']) => boolean);
  /** Multiplies the learning rate (schedules included) for these tensors. Default 1. */
  lrScale?: number;
  /** Weight decay for these tensors, replacing the default. */
  weightDecay?: number;
}

/** Options every optimizer takes. */
export interface CommonOptions {
  lr?: number;
  /** L2 (or, for AdamW and Lion, decoupled) weight decay. Default 0 (AdamW: 0.01). */
  weightDecay?: number;
  /** Decay biases and normalisation gains and shifts too; by default only weight matrices decay. */
  decayAll?: boolean;
  /** Clip the gradient's global L2 norm to this value (PyTorch's clip_grad_norm_); 0 or absent: off. */
  clipNorm?: number;
  /** Per-tensor learning-rate multipliers and weight decay, first match wins. */
  groups?: ParamGroup[];
}

/** An optimizer: its name, hyper-parameters, state slots and update shader (made by sgd, adam, ...). */
export interface OptimizerDef {
  /** e.g. 'adam'. */
  name: string;
  /** Shader under shaders/, e.g. 'optim/adam'. */
  shader: string;
  /** Override constants that select the variant (NESTEROV, AMSGRAD, DECOUPLED, ...). */
  constants: Overrides;
  /** State arenas this configuration uses, each bound under its own name; the shader's others get a placeholder. */
  state: readonly string[];
  /** Initial value of each state arena (default 0), e.g. Adagrad's initial accumulator. */
  stateInit: Readonly<Record<string, number>>;
  lr: number;
  weightDecay: number;
  decayAll: boolean;
  clipNorm: number;
  groups: readonly ParamGroup[];
  decoupled: boolean;
  hyper: HyperValues;
  /** This step's per-step uniform values, in float64, for the 1-based step and its base rate. */
  scalars(step: number, lr: number): StepScalars;
  /** Every option as resolved (defaults filled in), for display and checkpoints. */
  options: Readonly<Record<string, number | boolean | string>>;
  /** The update rule as implemented, one line. */
  rule: string;
  /** The same update on the CPU, in place. */
  reference(theta: Values, grad: ArrayLike<number>, state: Record<string, Values>, c: UpdateContext): void;
}

function matches(g: ParamGroup, s: Segment): boolean {
  if (typeof g.match === 'string') return g.match === s.name;
  if (g.match instanceof RegExp) return g.match.test(s.name);
  return g.match(s.name, s.role);
}

/** Learning-rate multiplier and weight decay of one tensor under the optimizer's per-tensor options. */
export function tensorOptions(def: OptimizerDef, s: Segment): { lrScale: number; weightDecay: number } {
  const group = def.groups.find((g) => matches(g, s));
  const defaultDecay = def.decayAll || s.role === 'weight' ? def.weightDecay : 0;
  return { lrScale: group?.lrScale ?? 1, weightDecay: group?.weightDecay ?? defaultDecay };
}

/** The per-chunk table the update shaders read: (lr multiplier, weight decay) per 64 elements of the arena. */
export function chunkOptions(layout: ArenaLayout, def: OptimizerDef): Float32Array {
  const chunks = layout.length / SEGMENT_ALIGN;
  const out = new Float32Array(chunks * 2).fill(0);
  for (let c = 0; c < chunks; c++) out[2 * c] = 1;
  for (const s of layout.segments) {
    const o = tensorOptions(def, s);
    const end = s.offset + Math.ceil(s.length / SEGMENT_ALIGN) * SEGMENT_ALIGN;
    for (let c = s.offset / SEGMENT_ALIGN; c < end / SEGMENT_ALIGN; c++) {
      out[2 * c] = o.lrScale;
      out[2 * c + 1] = o.weightDecay;
    }
  }
  return out;
}

/** The same options per element, for the reference. */
export function elementOptions(layout: ArenaLayout, def: OptimizerDef): { lrScale: Float32Array; weightDecay: Float32Array } {
  const chunks = chunkOptions(layout, def);
  const lrScale = new Float32Array(layout.length);
  const weightDecay = new Float32Array(layout.length);
  for (let i = 0; i < layout.length; i++) {
    const c = Math.floor(i / SEGMENT_ALIGN);
    lrScale[i] = chunks[2 * c]!;
    weightDecay[i] = chunks[2 * c + 1]!;
  }
  return { lrScale, weightDecay };
}

/** Hyper values of a pair of betas; the complements are rounded once from float64. */
export function betaHyper(beta1: number, beta2: number): HyperValues {
  return { beta1, beta2, one_minus_beta1: 1 - beta1, one_minus_beta2: 1 - beta2 };
}

/** The per-step scalars of an update that applies the step's rate as it is. */
export function plainScalars(_step: number, lr: number): StepScalars {
  return { step_lr: lr, root_scale: 1 };
}

/** The optimizer's state for the CPU reference: each slot `length` floats at its initial value. */
export function referenceState(def: OptimizerDef, length: number): Record<string, Float32Array> {
  return Object.fromEntries(def.state.map((s) => [s, new Float32Array(length).fill(def.stateInit[s] ?? 0)]));
}

/**
 * One update by the optimizer's CPU reference, in place, as the GPU does it: per-element options from
 * elementOptions(), clipping by the gradient's own global norm.
 */
export function referenceUpdate(
  def: OptimizerDef,
  theta: Values,
  grad: ArrayLike<number>,
  state: Record<string, Values>,
  perElement: { lrScale: ArrayLike<number>; weightDecay: ArrayLike<number> },
  step: number,
  lr: number,
): void {
  let sq = 0;
  for (let i = 0; i < grad.length; i++) sq += grad[i]! * grad[i]!;
  def.reference(theta, grad, state, { step, lr, ...perElement, clipScale: clipScale(Math.sqrt(sq), def.clipNorm), decoupled: def.decoupled });
}
