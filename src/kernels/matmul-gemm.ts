// What the 'gemm' matmul variant binds beyond include/matmul_common.wgsl: its transposes and load paths as a
// uniform (one pipeline for all of them), and a4 / b4, vec4 views of the operands whose rows hold whole vec4s.
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';

/**
 * Whether gemm reads each operand as vec4s: its contiguous rows (K long for A and B^T, M for A^T, N for B)
 * must hold whole vec4s and its binding start on a 16-byte boundary; otherwise that operand's loads are scalar.
 */
export function gemmVectorLoads(t: { a: Tensor; b: Tensor }, s: { M: number; N: number; K: number }, o: { transA?: boolean; transB?: boolean }) {
  const rowA = o.transA ? s.M : s.K;
  const rowB = o.transB ? s.K : s.N;
  return { a: rowA % 4 === 0 && t.a.offset % 16 === 0, b: rowB % 4 === 0 && t.b.offset % 16 === 0 };
}

/** gemm's layout uniform, its vec4 views (a 16-byte placeholder for a scalar-read operand) and their sizes. */
export function gemmBindings(rt: Runtime, t: { a: Tensor; b: Tensor }, s: { M: number; N: number; K: number }, o: { transA?: boolean; transB?: boolean }) {
  const vec = gemmVectorLoads(t, s, o);
  return {
    layout: { trans_a: o.transA ? 1 : 0, trans_b: o.transB ? 1 : 0, vec_a: vec.a ? 1 : 0, vec_b: vec.b ? 1 : 0 },
    /** How it loads each operand, for the dispatch's label. */
    paths: `${vec.a ? 'vec4' : 'scalar'} A, ${vec.b ? 'vec4' : 'scalar'} B`,
    // Read-only storage bindings may alias, so a4 can be the very buffer bound as a.
    buffers: { a4: vec.a ? t.a.ref : rt.placeholder, b4: vec.b ? t.b.ref : rt.placeholder },
    needs: { a4: vec.a ? s.M * s.K * 4 : 16, b4: vec.b ? s.K * s.N * 4 : 16 },
  };
}
