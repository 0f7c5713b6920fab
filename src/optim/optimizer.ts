// What an optimizer is to the planner: a shader that updates the whole parameter arena in one dispatch,
// the state arenas it keeps (same layout as the parameters), its hyper-parameters as uniform values, and
// its CPU reference. Also the checks every optimizer's options go through, and per-tensor options.
import { OptionError } from '../core/errors.js';
import type { Overrides } from '../gpu/kernel.js';
import type { ArenaLayout, Segment } from '../nn/arena.js';
import { SEGMENT_ALIGN } from '../nn/arena.js';
import { clipScale, type UpdateContext } from '../reference/optim.js';

/** Per-step values every update sees: the learning rate for this step and the optimizer's step (1-based). */
export interface StepInfo {
  step: number;
  lr: number;
}

/** Uniform fields of include/optim_common.wgsl's Hyper block that an optimizer sets (the rest are 0). */
export interface HyperValues {
  beta1?: number;
  beta2?: number;
  eps?: number;
  momentum?: number;
  dampening?: number;
  rho?: number;
  lr_decay?: number;
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
  /** Every option as resolved (defaults filled in), for display and checkpoints. */
  options: Readonly<Record<string, number | boolean | string>>;
  /** The update rule as implemented, one line. */
  rule: string;
  /** The same update on the CPU, in place. */
  reference(theta: Float32Array, grad: ArrayLike<number>, state: Record<string, Float32Array>, c: UpdateContext): void;
}

type Check = 'rate' | 'unit' | 'closedUnit' | 'positive' | 'nonNegative' | 'bool' | 'betas' | 'choice';
interface Spec {
  check: Check;
  default: unknown;
  choices?: readonly string[];
}

const RANGE: Record<Check, string> = {
  rate: 'a finite number >= 0',
  unit: 'in [0, 1)',
  closedUnit: 'in [0, 1]',
  positive: 'a finite number > 0',
  nonNegative: 'a finite number >= 0',
  bool: 'true or false',
  betas: 'two numbers, each in [0, 1)',
  choice: '',
};

function valid(check: Check, v: unknown, choices?: readonly string[]): boolean {
  const num = typeof v === 'number' && Number.isFinite(v);
  switch (check) {
    case 'rate':
    case 'nonNegative':
      return num && (v as number) >= 0;
    case 'unit':
      return num && (v as number) >= 0 && (v as number) < 1;
    case 'closedUnit':
      return num && (v as number) >= 0 && (v as number) <= 1;
    case 'positive':
      return num && (v as number) > 0;
    case 'bool':
      return typeof v === 'boolean';
    case 'betas':
      return Array.isArray(v) && v.length === 2 && v.every((b) => valid('unit', b));
    case 'choice':
      return typeof v === 'string' && !!choices?.includes(v);
  }
}

const COMMON: Record<string, Spec> = {
  weightDecay: { check: 'nonNegative', default: 0 },
  decayAll: { check: 'bool', default: false },
  clipNorm: { check: 'nonNegative', default: 0 },
  groups: { check: 'bool', default: [] }, // checked separately
};

/**
 * Fill in defaults and check every option: an unknown name or a value out of range is an OptionError naming
 * the optimizer, the option and its valid range.
 */
export function resolveOptions<T extends object>(optimizer: string, given: T, specs: Record<string, Spec>): Record<string, unknown> {
  const all = { ...COMMON, ...specs };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!(key in all)) {
      throw new OptionError(`${optimizer}: unknown option '${key}'; valid options: ${Object.keys(all).join(', ')}`);
    }
  }
  for (const [key, spec] of Object.entries(all)) {
    const v = (given as Record<string, unknown>)[key] ?? spec.default;
    if (key === 'groups') {
      out[key] = checkGroups(optimizer, v);
      continue;
    }
    if (!valid(spec.check, v, spec.choices)) {
      const range = spec.check === 'choice' ? `one of ${spec.choices!.map((c) => `'${c}'`).join(', ')}` : RANGE[spec.check];
      const what = key === 'lr' ? 'learning rate (lr)' : `'${key}'`;
      throw new OptionError(`${optimizer}: ${what} must be ${range}, got ${JSON.stringify(v) ?? String(v)}`);
    }
    out[key] = v;
  }
  return out;
}

function checkGroups(optimizer: string, v: unknown): ParamGroup[] {
  if (!Array.isArray(v)) throw new OptionError(`${optimizer}: 'groups' must be an array of { match, lrScale?, weightDecay? }`);
  return v.map((g: ParamGroup, i) => {
    const ok = typeof g === 'object' && g !== null && (typeof g.match === 'string' || g.match instanceof RegExp || typeof g.match === 'function');
    if (!ok) throw new OptionError(`${optimizer}: groups[${i}].match must be a name, a RegExp or a function`);
    for (const k of Object.keys(g)) {
      if (!['match', 'lrScale', 'weightDecay'].includes(k)) throw new OptionError(`${optimizer}: groups[${i}] has unknown option '${k}'; valid: match, lrScale, weightDecay`);
    }
    if (g.lrScale !== undefined && !valid('rate', g.lrScale)) throw new OptionError(`${optimizer}: groups[${i}].lrScale must be ${RANGE.rate}, got ${g.lrScale}`);
    if (g.weightDecay !== undefined && !valid('nonNegative', g.weightDecay)) {
      throw new OptionError(`${optimizer}: groups[${i}].weightDecay must be ${RANGE.nonNegative}, got ${g.weightDecay}`);
    }
    return g;
  });
}

/** Spec helpers for optimizer definitions. */
export const spec = {
  rate: (d: number): Spec => ({ check: 'rate', default: d }),
  unit: (d: number): Spec => ({ check: 'unit', default: d }),
  closedUnit: (d: number): Spec => ({ check: 'closedUnit', default: d }),
  positive: (d: number): Spec => ({ check: 'positive', default: d }),
  nonNegative: (d: number): Spec => ({ check: 'nonNegative', default: d }),
  bool: (d: boolean): Spec => ({ check: 'bool', default: d }),
  betas: (d: [number, number]): Spec => ({ check: 'betas', default: d }),
  choice: (d: string, choices: readonly string[]): Spec => ({ check: 'choice', default: d, choices }),
};

/** The fields of an OptimizerDef every optimizer fills the same way from resolved options. */
export function commonFields(o: Record<string, unknown>) {
  return {
    lr: o.lr as number,
    weightDecay: o.weightDecay as number,
    decayAll: o.decayAll as boolean,
    clipNorm: o.clipNorm as number,
    groups: o.groups as ParamGroup[],
  };
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

/** Check a learning rate: finite and non-negative. */
export function checkLearningRate(lr: number, optimizer: string): number {
  if (!valid('rate', lr)) throw new OptionError(`${optimizer}: learning rate must be ${RANGE.rate}, got ${lr}`);
  return lr;
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
  theta: Float32Array,
  grad: ArrayLike<number>,
  state: Record<string, Float32Array>,
  perElement: { lrScale: ArrayLike<number>; weightDecay: ArrayLike<number> },
  step: number,
  lr: number,
): void {
  let sq = 0;
  for (let i = 0; i < grad.length; i++) sq += grad[i]! * grad[i]!;
  def.reference(theta, grad, state, { step, lr, ...perElement, clipScale: clipScale(Math.sqrt(sq), def.clipNorm), decoupled: def.decoupled });
}
