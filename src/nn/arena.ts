// The parameter arena: every trainable tensor in one flat f32 buffer, each segment starting on a
// 256-byte boundary so it can be bound on its own. Gradients and optimizer state use the same layout.
import { GraphError } from '../core/errors.js';
import { Rng } from '../util/rng.js';
import type { ParamSpec, StatSpec } from './graph.js';

/** Floats per binding-offset alignment (256 bytes). */
export const SEGMENT_ALIGN = 64;

/** One named tensor's place in a flat arena. */
export interface Segment {
  name: string;
  shape: number[];
  role: ParamSpec['role'];
  /** First element, in floats from the start of the arena (a multiple of SEGMENT_ALIGN). */
  offset: number;
  /** Elements in the tensor. */
  length: number;
}

/** Where each named tensor lives in a flat arena. */
export class ArenaLayout {
  readonly segments: Segment[];
  /** Floats in the arena, padding included. */
  readonly length: number;
  private readonly byName: Map<string, Segment>;

  constructor(specs: readonly { name: string; shape: number[]; role?: ParamSpec['role'] }[]) {
    let at = 0;
    this.segments = specs.map((p) => {
      const length = p.shape.reduce((a, b) => a * b, 1);
      const seg = { name: p.name, shape: [...p.shape], role: p.role ?? 'bias', offset: at, length };
      at += Math.ceil(length / SEGMENT_ALIGN) * SEGMENT_ALIGN;
      return seg;
    });
    this.length = Math.max(at, SEGMENT_ALIGN);
    this.byName = new Map(this.segments.map((s) => [s.name, s]));
  }

  /** The segment of a tensor; throws listing the names that exist. */
  get(name: string): Segment {
    const s = this.byName.get(name);
    if (!s) throw new GraphError(`no tensor named '${name}'; the model has: ${[...this.byName.keys()].join(', ')}`);
    return s;
  }

  /** Whether a tensor of this name is in the arena. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Elements that are real parameters (padding excluded). */
  get count(): number {
    return this.segments.reduce((s, x) => s + x.length, 0);
  }
}

/** Initial parameter values from the seed: He or Xavier for weights, zeros for biases, ones for gains. */
export function initialParameters(layout: ArenaLayout, specs: readonly ParamSpec[], seed: number): Float32Array {
  const data = new Float32Array(layout.length);
  const rng = new Rng(seed);
  for (const p of specs) {
    const seg = layout.get(p.name);
    const view = data.subarray(seg.offset, seg.offset + seg.length);
    const init = p.init;
    if (init === 'zeros') continue;
    if (init === 'ones') view.fill(1);
    else if (init === 'he') {
      const std = Math.sqrt(2 / p.fanIn);
      for (let i = 0; i < view.length; i++) view[i] = std * rng.normal();
    } else if (init === 'xavier') {
      const a = Math.sqrt(6 / (p.fanIn + p.fanOut));
      for (let i = 0; i < view.length; i++) view[i] = rng.uniform(-a, a);
    } else {
      for (let i = 0; i < view.length; i++) view[i] = init.normal * rng.normal();
    }
  }
  return data;
}

/** Initial values of the non-trainable state (BatchNorm running mean 0, running variance 1). */
export function initialStats(layout: ArenaLayout, specs: readonly StatSpec[]): Float32Array {
  const data = new Float32Array(layout.length);
  for (const s of specs) {
    const seg = layout.get(s.name);
    data.fill(s.initial, seg.offset, seg.offset + seg.length);
  }
  return data;
}
