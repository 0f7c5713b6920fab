// The harness the kernel cases share: result types, comparison against the reference, shared-buffer layouts.
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { allclose, type Tolerance } from '../util/allclose.js';
import { Rng } from '../util/rng.js';

/** The outcome of one kernel case: pass or fail, largest error, time. */
export interface CaseResult {
  pass: boolean;
  maxAbsErr: number;
  /** Milliseconds from upload to read-back on the GPU side of the case. */
  ms: number;
  /** Seed, shape, error and the first mismatching pairs: everything needed to reproduce a failure. */
  message: string;
}

/** One kernel on one shape, checked against its CPU reference. */
export interface KernelCase {
  /** Kernel family and variant, e.g. 'matmul_tiled', 'activation_grad'. */
  kernel: string;
  /** Shape and options, e.g. '45x65x37 A^T bias+relu'. */
  shape: string;
  seed: number;
  /** Runs the case on the GPU and compares with the reference. */
  run(rt: Runtime): Promise<CaseResult>;
}

export const ELEMENTWISE_TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };

export async function compare(
  label: string,
  seed: number,
  tensors: Tensor[],
  gpu: () => Promise<Tensor>,
  want: Float32Array,
  tol: Tolerance,
): Promise<CaseResult> {
  const t0 = performance.now();
  const out = await gpu();
  const got = await out.read();
  const ms = performance.now() - t0;
  for (const t of [...tensors, out]) t.destroy();
  const r = allclose(got, want, tol);
  const message = `${label} seed=${seed}: max |err| ${r.maxAbsErr.toExponential(2)}${r.ok ? '' : `; ${r.detail}`}`;
  return { pass: r.ok, maxAbsErr: r.maxAbsErr, ms, message };
}

/** One output of a multi-output case: its name, the tensor the GPU wrote, the reference, the tolerance. */
export type Check = [name: string, got: Tensor, want: ArrayLike<number>, tol: Tolerance];

/** Run `gpu`, read back every checked output, free `tensors` and the outputs, and compare each output. */
export async function compareAll(label: string, seed: number, tensors: Tensor[], gpu: () => Promise<Check[]>): Promise<CaseResult> {
  const t0 = performance.now();
  let checks: Check[] = [];
  const results: [string, ReturnType<typeof allclose>][] = [];
  try {
    checks = await gpu();
    for (const [name, out, want, tol] of checks) results.push([name, allclose(await out.read(), want, tol)]);
  } finally {
    for (const t of new Set([...tensors, ...checks.map((c) => c[1])])) t.destroy();
  }
  const ms = performance.now() - t0;
  const maxAbsErr = Math.max(0, ...results.map(([, r]) => r.maxAbsErr));
  const bad = results.filter(([, r]) => !r.ok).map(([name, r]) => `${name}: ${r.detail}`);
  const message = `${label} seed=${seed}: max |err| ${maxAbsErr.toExponential(2)}${bad.length ? `; ${bad.join('; ')}` : ''}`;
  return { pass: bad.length === 0, maxAbsErr, ms, message };
}

export type Checker = (tensors: Tensor[], gpu: () => Promise<Check[]>) => Promise<CaseResult>;

/** A case whose body gets the runtime, a generator seeded with the case's seed, and compareAll bound to its label. */
export function kcase(kernel: string, shape: string, seed: number, body: (rt: Runtime, rng: Rng, check: Checker) => Promise<CaseResult>): KernelCase {
  const check: Checker = (tensors, gpu) => compareAll(`${kernel} ${shape}`, seed, tensors, gpu);
  return { kernel, shape, seed, run: (rt) => body(rt, new Rng(seed), check) };
}

/**
 * Tensors laid out as views into one shared buffer, each at a 256-byte aligned offset after a 256-byte gap, the way
 * the parameter and gradient arenas hold them: proves a kernel honours its bindings' offsets. Destroy `owner`.
 */
export function arena(rt: Runtime, parts: { data: Float32Array; shape: number[] }[]): { owner: Tensor; views: Tensor[] } {
  const offsets: number[] = [];
  let at = 64; // floats: the first view starts at byte 256
  for (const p of parts) {
    offsets.push(at);
    at += Math.ceil(p.data.length / 64) * 64 + 64;
  }
  const all = new Float32Array(at).fill(NaN); // any read outside a view poisons the result
  parts.forEach((p, i) => all.set(p.data, offsets[i]));
  const owner = Tensor.from(rt, all, [at], 'arena');
  const views = parts.map((p, i) => Tensor.view(rt, owner.buffer, p.shape, offsets[i]! * 4, `view${i}`));
  return { owner, views };
}

export const EXACT: Tolerance = { atol: 0, rtol: 0 };
