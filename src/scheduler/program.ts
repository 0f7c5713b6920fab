// A step as a program: an ordered list of ops over named tensors. Persistent tensors (parameter and
// gradient views, the batch, the metrics) are given; transient ones (activations, their gradients,
// scratch) get memory from the lifetime planner. Compiling makes every buffer and bind group once.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { planAliases } from './alias.js';
import { planMemory } from './memory.js';

export interface Op {
  label: string;
  reads: string[];
  writes: string[];
  /** Make the op's dispatches once its tensors exist. */
  make(t: (key: string) => Tensor): Promise<Dispatch | Dispatch[]>;
  /**
   * The op only writes `to` as an exact copy of `from`: the compiler drops it and lets `to` share `from`'s memory
   * wherever no other op could tell (src/scheduler/alias.ts).
   */
  copy?: { from: string; to: string };
}

/** The result of compiling a program: dispatches in order and the buffers it made. */
export interface CompiledProgram {
  dispatches: Dispatch[];
  /** Dispatches made by each op, by label (for per-step uniform updates). */
  byLabel: Map<string, Dispatch[]>;
  tensors: Map<string, Tensor>;
  /** Physical transient buffers. */
  buffers: GPUBuffer[];
  transientBytes: number;
  unsharedBytes: number;
}

export class Program {
  private readonly ops: Op[] = [];
  private readonly shapes = new Map<string, number[]>();
  private readonly fixed = new Map<string, Tensor>();

  /** Declare a transient tensor (memory planned). */
  transient(key: string, shape: number[]): string {
    if (!this.shapes.has(key) && !this.fixed.has(key)) this.shapes.set(key, shape);
    return key;
  }

  /** Declare a tensor that lives outside the step (given). */
  persistent(key: string, tensor: Tensor): string {
    this.fixed.set(key, tensor);
    return key;
  }

  has(key: string): boolean {
    return this.shapes.has(key) || this.fixed.has(key);
  }

  push(op: Op): void {
    for (const k of [...op.reads, ...op.writes]) {
      if (!this.has(k)) throw new Error(`op '${op.label}' uses undeclared tensor '${k}'`);
    }
    this.ops.push(op);
  }

  get length(): number {
    return this.ops.length;
  }

  /** Plan memory, create the transient buffers and every dispatch. */
  async compile(rt: Runtime, label: string): Promise<CompiledProgram> {
    const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
    const aliases = planAliases(this.ops, (k) => {
      const shape = this.shapes.get(k);
      return shape ? sizeOf(shape) : undefined;
    });
    const ops = this.ops.filter((_, i) => !aliases.dropped.has(i));
    const canonical = (k: string) => aliases.canonical.get(k) ?? k;
    const first = new Map<string, number>();
    const last = new Map<string, number>();
    ops.forEach((op, i) => {
      for (const k of [...op.reads, ...op.writes].map(canonical)) {
        if (!first.has(k)) first.set(k, i);
        last.set(k, i);
      }
    });
    const owned = [...this.shapes].filter(([key]) => !aliases.canonical.has(key));
    const requests = owned.map(([key, shape]) => ({
      key,
      floats: sizeOf(shape),
      first: first.get(key) ?? 0,
      last: last.get(key) ?? 0,
    }));
    const memory = planMemory(requests);
    const buffers = memory.slots.map((floats, i) => rt.buffers.create(floats * 4, { label: `${label}:transient${i}` }));
    const tensors = new Map(this.fixed);
    for (const [key, shape] of this.shapes) {
      tensors.set(key, Tensor.view(rt, buffers[memory.assignment.get(canonical(key))!]!, shape, 0, key));
    }
    const get = (key: string) => {
      const t = tensors.get(key);
      if (!t) throw new Error(`no tensor '${key}'`);
      return t;
    };
    const dispatches: Dispatch[] = [];
    const byLabel = new Map<string, Dispatch[]>();
    // Every op is prepared at once, so the driver can compile distinct pipelines concurrently (a cold start
    // is mostly shader compilation); on a failure whatever was made is released before the error goes on.
    const settled = await Promise.allSettled(ops.map((op) => op.make(get)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      for (const r of settled) if (r.status === 'fulfilled') for (const d of [r.value].flat()) rt.release(d);
      for (const b of buffers) rt.buffers.free(b);
      throw failed.reason;
    }
    ops.forEach((op, i) => {
      const made = (settled[i] as PromiseFulfilledResult<Dispatch | Dispatch[]>).value;
      const list = Array.isArray(made) ? made : [made];
      byLabel.set(op.label, list);
      dispatches.push(...list);
    });
    return {
      dispatches,
      byLabel,
      tensors,
      buffers,
      transientBytes: memory.slots.reduce((s, f) => s + f * 4, 0),
      unsharedBytes: memory.unsharedFloats * 4,
    };
  }
}
