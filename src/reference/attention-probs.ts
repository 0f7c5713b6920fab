// The attention weights themselves, for looking at: P = softmax_j(scale * q_i . k_j) of one (batch, head), with
// the causal mask (j <= i) when the shape says so. The fused kernel and attention.ts never keep P (they keep the
// log-sum-exp); a view of what a head attends to needs the T x T matrix, which this writes from the definition.
import { ShapeError } from '../core/errors.js';
import { attentionDims, checkView, type AttentionShape, type StridedOf } from './attention.js';

/**
 * P [T, T] of batch `b`, head `h`, row-major (row i = query i): each row sums to 1, and with `s.causal` the
 * entries above the diagonal are exactly 0. q and k are read as attentionForward reads them (strided [B*T, >= C]).
 */
export function attentionProbs(q: StridedOf<ArrayLike<number>>, k: StridedOf<ArrayLike<number>>, s: AttentionShape, b: number, h: number): Float64Array {
  const { C, scale } = attentionDims(s);
  if (!Number.isInteger(b) || b < 0 || b >= s.B) throw new ShapeError(`attentionProbs: batch index b must be an integer in [0, ${s.B}), got ${b}`);
  if (!Number.isInteger(h) || h < 0 || h >= s.H) throw new ShapeError(`attentionProbs: head h must be an integer in [0, ${s.H}), got ${h}`);
  checkView('q', q.data.length, q.offset, q.stride, s.B * s.T, C);
  checkView('k', k.data.length, k.offset, k.stride, s.B * s.T, C);
  const { T, D } = s;
  const P = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    const keys = s.causal ? i + 1 : T;
    const qAt = q.offset + (b * T + i) * q.stride + h * D;
    let max = -Infinity;
    for (let j = 0; j < keys; j++) {
      const kAt = k.offset + (b * T + j) * k.stride + h * D;
      let dot = 0;
      for (let d = 0; d < D; d++) dot += q.data[qAt + d]! * k.data[kAt + d]!;
      P[i * T + j] = scale * dot;
      max = Math.max(max, P[i * T + j]!);
    }
    let sum = 0;
    for (let j = 0; j < keys; j++) sum += P[i * T + j] = Math.exp(P[i * T + j]! - max);
    for (let j = 0; j < keys; j++) P[i * T + j]! /= sum;
  }
  return P;
}
