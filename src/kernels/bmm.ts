// Batched strided matmul (shaders/bmm.wgsl): outer * inner products with every operand read through offsets and
// strides, so the heads of an attention multiply in place inside [B*T, 3C] and [B*T, C] buffers, in one dispatch.
import { DeviceError, ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { batchedExtents, type BatchedLayout, type BatchedMatmulShape } from '../reference/bmm.js';
import { ceilDiv } from './grid.js';
import { matmulSubgroupSize } from './matmul.js';

export type { BatchedLayout, BatchedMatmulShape } from '../reference/bmm.js';

/** An operand: a tensor and the layout of its elements (see BatchedLayout). */
export interface BatchedOperand extends BatchedLayout {
  t: Tensor;
}

/** Subgroups (each 16 rows of C) per workgroup: 4, or 1 where M fits one subgroup's rows. */
const rowsPerWorkgroup = (M: number) => (M <= 16 ? 1 : 4);

/** Whether this runtime can run the batched matmul: subgroups of one fixed size. */
export const batchedMatmulAvailable = (rt: Runtime): boolean => matmulSubgroupSize(rt) !== null;

/** Prepare c = alpha * a . b over every batch as one dispatch; ShapeError on any operand that does not fit. */
export async function prepareBatchedMatmul(
  rt: Runtime,
  t: { a: BatchedOperand; b: BatchedOperand; c: BatchedOperand },
  s: BatchedMatmulShape,
): Promise<Dispatch> {
  const what = 'batchedMatmul';
  const extents = batchedExtents(what, t, s);
  const needs: Record<string, number> = {};
  for (const name of ['a', 'b', 'c'] as const) {
    const [n, o] = [extents[name], t[name]];
    if (n > o.t.size) throw new ShapeError(`${what}: '${name}' reaches element ${n - 1}, past its ${o.t.size} elements (shape [${o.t.shape.join(', ')}])`);
    needs[name] = n * 4;
  }
  if (t.c.t.buffer === t.a.t.buffer || t.c.t.buffer === t.b.t.buffer) throw new ShapeError(`${what}: 'c' must not share a buffer with 'a' or 'b'`);
  const sg = matmulSubgroupSize(rt);
  if (sg === null) throw new DeviceError(`${what}: needs the 'subgroups' feature with one fixed subgroup size; this adapter has none`);
  if (s.outer * s.inner > rt.limits.maxComputeWorkgroupsPerDimension) {
    throw new ShapeError(`${what}: ${s.outer * s.inner} batches exceed the adapter's ${rt.limits.maxComputeWorkgroupsPerDimension} workgroups per dimension`);
  }
  const wgY = rowsPerWorkgroup(s.M);
  const kernel = await rt.kernel('bmm', { constants: { SG: sg, WG_Y: wgY } });
  const o = (x: BatchedOperand) => [x.offset ?? 0, x.outer ?? 0, x.inner ?? 0];
  const [a_off, a_bo, a_bi] = o(t.a);
  const [b_off, b_bo, b_bi] = o(t.b);
  const [c_off, c_bo, c_bi] = o(t.c);
  return rt.prepare(kernel, {
    buffers: { a: t.a.t.ref, b: t.b.t.ref, c: t.c.t.ref },
    needs,
    uniforms: {
      params: {
        M: s.M,
        N: s.N,
        K: s.K,
        inner: s.inner,
        a_off,
        a_bo,
        a_bi,
        a_si: t.a.rowStride,
        a_sk: t.a.colStride,
        b_off,
        b_bo,
        b_bi,
        b_sk: t.b.rowStride,
        b_sj: t.b.colStride,
        c_off,
        c_bo,
        c_bi,
        c_si: t.c.rowStride,
        c_sj: t.c.colStride,
        alpha: s.alpha ?? 1,
      },
    },
    workgroups: [ceilDiv(s.N, 8 * sg), ceilDiv(s.M, 16 * wgY), s.outer * s.inner],
    label: `bmm ${s.outer * s.inner}x${s.M}x${s.N}x${s.K}`,
  });
}
