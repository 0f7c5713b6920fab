import { OptionError, ShapeError } from '../core/errors.js';
import type { BufferRef } from '../gpu/buffers.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';

/** A shape as text: [37, 13]. */
export const dims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Throws a ShapeError unless tensor `name` has exactly `shape`. */
export function expectShape(what: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${what}: '${name}' must have shape ${dims(shape)}, got ${dims(t.shape)}`);
  }
}

/** As expectShape, for a tensor that may be absent (an output a one-shot form has not made yet). */
export function expectShapeIfGiven(what: string, name: string, t: Tensor | undefined, shape: readonly number[]): void {
  if (t) expectShape(what, name, t, shape);
}

/** [rows, cols] of tensor `name`, which must be 2-D and non-empty. */
export function matrixDims(what: string, name: string, t: Tensor): [number, number] {
  if (t.shape.length !== 2 || t.size === 0) {
    throw new ShapeError(`${what}: '${name}' must be a non-empty 2-D [rows, columns] tensor, got ${dims(t.shape)}`);
  }
  return [t.shape[0]!, t.shape[1]!];
}

/** Throws an OptionError unless `value` is a finite number within [lo, hi]. */
export function finiteOption(what: string, name: string, value: number, lo = -Infinity, hi = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi) {
    const range = lo === -Infinity && hi === Infinity ? 'a finite number' : `a finite number in [${lo}, ${hi}]`;
    throw new OptionError(`${what}: ${name} must be ${range}, got ${value}`);
  }
  return value;
}

/**
 * Prepare dispatches one after another, run them in one submit and free their uniforms. If preparing fails, frees
 * * what was prepared so far and the tensors in `outputs` (those a one-shot form made for the call), then rethrows.
 */
export async function runPrepared(rt: Runtime, outputs: readonly Tensor[], steps: readonly (() => Promise<Dispatch | Dispatch[]>)[]): Promise<void> {
  const ds: Dispatch[] = [];
  try {
    for (const step of steps) ds.push(...[await step()].flat());
  } catch (e) {
    for (const d of ds) rt.release(d);
    for (const o of outputs) o.destroy();
    throw e;
  }
  rt.run(ds);
  for (const d of ds) rt.release(d);
}

/** A kernel's tensors with outputs K optional: what a one-shot form checks before it makes those outputs. */
export type Unmade<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** An output a one-shot form makes (its shape and label), or a tensor the caller gave, used as is and never freed. */
export type OutputSpec = Tensor | { shape: readonly number[]; label: string };

/**
 * The one-shot forms' tail, called once every input and option has been checked (so a call that fails on bad
 * input allocates nothing): makes the outputs not given, prepares and runs `steps` in one submit, and frees
 * what it made if making or preparing still fails (buffer limits, a shader that does not compile, a lost device).
 */
export async function runOneShot<K extends string>(
  rt: Runtime,
  outputs: Record<K, OutputSpec>,
  steps: (out: Record<K, Tensor>) => readonly (() => Promise<Dispatch | Dispatch[]>)[],
): Promise<Record<K, Tensor>> {
  const out = {} as Record<K, Tensor>;
  const made: Tensor[] = [];
  try {
    for (const [name, spec] of Object.entries(outputs) as [K, OutputSpec][]) {
      if (spec instanceof Tensor) out[name] = spec;
      else made.push((out[name] = Tensor.zeros(rt, spec.shape, spec.label)));
    }
  } catch (e) {
    for (const t of made) t.destroy();
    throw e;
  }
  await runPrepared(rt, made, steps(out));
  return out;
}

/**
 * Bindings and their needed sizes from tensors keyed by WGSL binding name, once their shapes are checked: each
 * binding must hold the whole tensor.
 */
export function bind(tensors: Record<string, Tensor>): { buffers: Record<string, BufferRef>; needs: Record<string, number> } {
  const buffers: Record<string, BufferRef> = {};
  const needs: Record<string, number> = {};
  for (const [name, t] of Object.entries(tensors)) {
    buffers[name] = t.ref;
    needs[name] = t.size * 4;
  }
  return { buffers, needs };
}

/** How a row-wise kernel maps rows to invocations: a workgroup per row, or a row per invocation. */
export type RowLayout = 'workgroup' | 'invocation';

/**
 * The layout of a row-wise kernel over rows of `columns` values: `layout` as given, or for 'auto' (the default) a
 * row per invocation up to `maxColumns.gpu` columns on a GPU and `maxColumns.software` on a CPU adapter (where a
 * one-row workgroup's barriers cost more than the row's arithmetic), a workgroup per row beyond. OptionError on an
 * unknown layout.
 */
export function rowLayout(
  rt: Runtime,
  what: string,
  columns: number,
  layout: RowLayout | 'auto' | undefined,
  maxColumns: { gpu: number; software: number },
): RowLayout {
  const l = layout ?? 'auto';
  if (l === 'auto') return columns <= (rt.isSoftware ? maxColumns.software : maxColumns.gpu) ? 'invocation' : 'workgroup';
  if (l !== 'workgroup' && l !== 'invocation') throw new OptionError(`${what}: layout must be 'auto', 'workgroup' or 'invocation', got ${JSON.stringify(l)}`);
  return l;
}
