// CPU reference of the batched strided matmul (shaders/bmm.wgsl), accumulated in float64.
import { ShapeError } from '../core/errors.js';

/**
 * One operand of a batched product: element [r, s] of batch (u, v) lies at
 * offset + u * outer + v * inner + r * rowStride + s * colStride of its array.
 */
export interface BatchedLayout {
  offset?: number;
  outer?: number;
  inner?: number;
  rowStride: number;
  colStride: number;
}

/** Sizes of a batched product: `outer * inner` products C[M, N] = alpha * A[M, K] B[K, N]. */
export interface BatchedMatmulShape {
  M: number;
  N: number;
  K: number;
  outer: number;
  inner: number;
  /** Factor applied to every product (default 1). */
  alpha?: number;
}

const isCount = (n: number) => Number.isInteger(n) && n >= 1;
const isIndex = (n: number) => Number.isInteger(n) && n >= 0;

/**
 * The smallest array length holding a [rows, cols] operand over the whole batch, or a ShapeError naming the
 * operand and the field that is not a non-negative integer.
 */
export function batchedExtent(what: string, name: string, l: BatchedLayout, s: BatchedMatmulShape, rows: number, cols: number): number {
  for (const [field, value] of Object.entries({
    offset: l.offset ?? 0,
    outer: l.outer ?? 0,
    inner: l.inner ?? 0,
    rowStride: l.rowStride,
    colStride: l.colStride,
  })) {
    if (!isIndex(value)) throw new ShapeError(`${what}: '${name}.${field}' must be a non-negative integer, got ${value}`);
  }
  return (l.offset ?? 0) + (s.outer - 1) * (l.outer ?? 0) + (s.inner - 1) * (l.inner ?? 0) + (rows - 1) * l.rowStride + (cols - 1) * l.colStride + 1;
}

/** The extents (batchedExtent) of a, b and c of a product, once its sizes are checked (checkBatchedShape). */
export function batchedExtents(
  what: string,
  l: { a: BatchedLayout; b: BatchedLayout; c: BatchedLayout },
  s: BatchedMatmulShape,
): { a: number; b: number; c: number } {
  checkBatchedShape(what, s);
  return { a: batchedExtent(what, 'a', l.a, s, s.M, s.K), b: batchedExtent(what, 'b', l.b, s, s.K, s.N), c: batchedExtent(what, 'c', l.c, s, s.M, s.N) };
}

/** Throws a ShapeError unless M, N, K, outer and inner are positive integers. */
export function checkBatchedShape(what: string, s: BatchedMatmulShape): void {
  for (const f of ['M', 'N', 'K', 'outer', 'inner'] as const) {
    if (!isCount(s[f])) throw new ShapeError(`${what}: ${f} must be a positive integer, got ${s[f]}`);
  }
  if (s.alpha !== undefined && !Number.isFinite(s.alpha)) throw new ShapeError(`${what}: alpha must be a finite number, got ${s.alpha}`);
}

/** c = alpha * a . b for every batch, in float64, rounded once into c (a Float32Array or Float64Array). */
export function batchedMatmul(
  a: ArrayLike<number>,
  la: BatchedLayout,
  b: ArrayLike<number>,
  lb: BatchedLayout,
  c: Float32Array | Float64Array,
  lc: BatchedLayout,
  s: BatchedMatmulShape,
): void {
  const need = batchedExtents('batchedMatmul', { a: la, b: lb, c: lc }, s);
  for (const [name, arr] of [
    ['a', a],
    ['b', b],
    ['c', c],
  ] as const) {
    if (arr.length < need[name]) throw new ShapeError(`batchedMatmul: '${name}' needs at least ${need[name]} elements, got ${arr.length}`);
  }
  const at = (l: BatchedLayout, u: number, v: number) => (l.offset ?? 0) + u * (l.outer ?? 0) + v * (l.inner ?? 0);
  const alpha = s.alpha ?? 1;
  for (let u = 0; u < s.outer; u++)
    for (let v = 0; v < s.inner; v++) {
      const [a0, b0, c0] = [at(la, u, v), at(lb, u, v), at(lc, u, v)];
      for (let i = 0; i < s.M; i++)
        for (let j = 0; j < s.N; j++) {
          let acc = 0;
          for (let k = 0; k < s.K; k++) acc += a[a0 + i * la.rowStride + k * la.colStride]! * b[b0 + k * lb.rowStride + j * lb.colStride]!;
          c[c0 + i * lc.rowStride + j * lc.colStride] = alpha * acc;
        }
    }
}
