// CPU reference for shaders/softmax.wgsl, from the definition of the softmax, in float64: over the last axis of
// x [R, N], y_rj = exp(scale x_rj) / sum_k exp(scale x_rk) over the visible columns (the sums taken around the row's
// max), 0 elsewhere. With the causal mask row r is query t = r % T of its sequence and sees columns j <= t.
import { OptionError, ShapeError } from '../core/errors.js';

/** The mask and scale of a row softmax. */
export interface SoftmaxMask {
  /** Factor on the logits: y = softmax(scale * x). Default 1. */
  scale?: number;
  /** Rows are sequences of T queries, and row r sees columns j <= r % T. Default false. */
  causal?: boolean;
  /** Queries per sequence with `causal` (R must be a multiple of it); default N, a square score matrix per sequence. */
  T?: number;
}

/** A softmax's mask and scale, checked against x [R, N]: scale, and T (0 when there is no mask). */
export function softmaxMask(what: string, R: number, N: number, m: SoftmaxMask): { scale: number; T: number } {
  const scale = m.scale ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new OptionError(`${what}: scale must be a finite number, got ${String(m.scale)}`);
  if (m.causal !== undefined && typeof m.causal !== 'boolean') throw new OptionError(`${what}: causal must be a boolean, got ${String(m.causal)}`);
  if (!m.causal) {
    if (m.T !== undefined) throw new OptionError(`${what}: T (queries per sequence) applies only with causal: true, got T = ${String(m.T)}`);
    return { scale, T: 0 };
  }
  const T = m.T ?? N;
  if (!Number.isInteger(T) || T < 1) throw new OptionError(`${what}: T (queries per sequence) must be a positive integer, got ${String(m.T)}`);
  if (R % T !== 0) throw new ShapeError(`${what}: with the causal mask the ${R} rows must be whole sequences of T = ${T} queries (a multiple of ${T})`);
  return { scale, T };
}

/** Columns [0, visible) of row r are seen: all N, or with a mask (T > 0) the row's query position + 1. */
export const softmaxVisible = (r: number, N: number, T: number): number => (T > 0 ? Math.min((r % T) + 1, N) : N);

/** y [R, N] = softmax(scale * x) per row over the visible columns, 0 at masked ones. */
export function softmaxForward(x: ArrayLike<number>, R: number, N: number, mask: SoftmaxMask = {}): Float64Array {
  const { scale, T } = softmaxMask('softmaxForward', R, N, mask);
  if (x.length !== R * N) throw new ShapeError(`softmaxForward: x must hold R * N = ${R * N} values, got ${x.length}`);
  const y = new Float64Array(R * N);
  for (let r = 0; r < R; r++) {
    const n = softmaxVisible(r, N, T);
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, scale * x[r * N + j]!);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(scale * x[r * N + j]! - m);
    for (let j = 0; j < n; j++) y[r * N + j] = Math.exp(scale * x[r * N + j]! - m) / sum;
  }
  return y;
}

/**
 * dx [R, N] of L = sum(dy * y) for y = softmaxForward(x), from y: dx_rj = scale * y_rj (dy_rj - sum_k dy_rk y_rk)
 * over the visible columns (the Jacobian of softmax is diag(y) - y y^T), 0 at masked ones.
 */
export function softmaxBackward(y: ArrayLike<number>, dy: ArrayLike<number>, R: number, N: number, mask: SoftmaxMask = {}): Float64Array {
  const { scale, T } = softmaxMask('softmaxBackward', R, N, mask);
  for (const [name, a] of [
    ['y', y],
    ['dy', dy],
  ] as const) {
    if (a.length !== R * N) throw new ShapeError(`softmaxBackward: ${name} must hold R * N = ${R * N} values, got ${a.length}`);
  }
  const dx = new Float64Array(R * N);
  for (let r = 0; r < R; r++) {
    const n = softmaxVisible(r, N, T);
    let dot = 0;
    for (let j = 0; j < n; j++) dot += dy[r * N + j]! * y[r * N + j]!;
    for (let j = 0; j < n; j++) dx[r * N + j] = scale * y[r * N + j]! * (dy[r * N + j]! - dot);
  }
  return dx;
}
