// CPU reference for shaders/attention*.wgsl: multi-head scaled dot-product attention written from the definition
//   S[i, j] = scale * q_i . k_j   (j <= i when causal),  P = softmax_j(S),  out_i = sum_j P[i, j] v_j
// per (batch b, head h), plain loops accumulating in float64. Sequences are [B, T, C] row-major with C = H * D and
// head h owning columns h*D .. h*D+D-1. q, k and v are read through a row stride so that they can be column blocks
// of one fused QKV buffer [B*T, 3C]; out, lse and the gradients are dense.
import { ShapeError } from '../core/errors.js';

/** Shape of one attention call: batch B, sequence length T, H heads of size D, causal mask, score scale. */
export interface AttentionShape {
  B: number;
  T: number;
  H: number;
  D: number;
  causal: boolean;
  /** Multiplies q . k before the softmax; 1/sqrt(D) when absent. */
  scale?: number;
}

/** A [B*T, >= C] matrix read through a row stride: element (b*T + t, col) is data[offset + (b*T + t) * stride + col]. */
export interface Strided {
  data: Float32Array;
  offset: number;
  stride: number;
}

/** A Strided view over any numbers, so the float64 core can be fed perturbed float64 inputs. */
export interface StridedOf<A extends ArrayLike<number>> {
  data: A;
  offset: number;
  stride: number;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ShapeError(`attention: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Validates an attention shape and returns C = H * D and the effective scale. */
export function attentionDims(s: AttentionShape): { C: number; scale: number } {
  for (const n of ['B', 'T', 'H', 'D'] as const) positiveInt(n, s[n]);
  if (typeof s.causal !== 'boolean') throw new ShapeError(`attention: causal must be a boolean, got ${String(s.causal)}`);
  const scale = s.scale ?? 1 / Math.sqrt(s.D);
  if (!Number.isFinite(scale)) throw new ShapeError(`attention: scale must be a finite number, got ${String(s.scale)}`);
  return { C: s.H * s.D, scale };
}

/** Throws unless a matrix of `length` elements holds `rows` rows of C columns at `offset` with row `stride`. */
export function checkView(name: string, length: number, offset: number, stride: number, rows: number, C: number): void {
  if (!Number.isInteger(offset) || offset < 0) throw new ShapeError(`attention: ${name}.offset must be a non-negative integer, got ${offset}`);
  if (!Number.isInteger(stride) || stride < C) throw new ShapeError(`attention: ${name}.stride must be an integer >= C = ${C}, got ${stride}`);
  const need = offset + (rows - 1) * stride + C;
  if (length < need)
    throw new ShapeError(`attention: ${name} needs ${need} elements (offset ${offset}, stride ${stride}, ${rows} rows of ${C}), got ${length}`);
}

function checkStrided(name: string, m: StridedOf<ArrayLike<number>>, rows: number, C: number): void {
  checkView(name, m.data.length, m.offset, m.stride, rows, C);
}

function checkDense(name: string, a: ArrayLike<number>, n: number, what: string): void {
  if (a.length !== n) throw new ShapeError(`attention: ${name} must have ${n} elements (${what}), got ${a.length}`);
}

/** Number of keys query t sees. */
const keysOf = (s: AttentionShape, t: number): number => (s.causal ? t + 1 : s.T);

/** Float64 scaled scores of query row (b, t) in head h against its visible keys. */
function scores(
  q: StridedOf<ArrayLike<number>>,
  k: StridedOf<ArrayLike<number>>,
  s: AttentionShape,
  scale: number,
  b: number,
  h: number,
  t: number,
): Float64Array {
  const out = new Float64Array(keysOf(s, t));
  const qAt = q.offset + (b * s.T + t) * q.stride + h * s.D;
  for (let j = 0; j < out.length; j++) {
    const kAt = k.offset + (b * s.T + j) * k.stride + h * s.D;
    let dot = 0;
    for (let d = 0; d < s.D; d++) dot += q.data[qAt + d] * k.data[kAt + d];
    out[j] = scale * dot;
  }
  return out;
}

/** Float64 forward: out [B, T, C] and lse [B, H, T]. */
export function attentionForward64(
  q: StridedOf<ArrayLike<number>>,
  k: StridedOf<ArrayLike<number>>,
  v: StridedOf<ArrayLike<number>>,
  s: AttentionShape,
): { out: Float64Array; lse: Float64Array } {
  const { C, scale } = attentionDims(s);
  const rows = s.B * s.T;
  checkStrided('q', q, rows, C);
  checkStrided('k', k, rows, C);
  checkStrided('v', v, rows, C);
  const out = new Float64Array(rows * C);
  const lse = new Float64Array(s.B * s.H * s.T);
  for (let b = 0; b < s.B; b++) {
    for (let h = 0; h < s.H; h++) {
      for (let t = 0; t < s.T; t++) {
        const sc = scores(q, k, s, scale, b, h, t);
        const max = Math.max(...sc);
        let sum = 0;
        for (let j = 0; j < sc.length; j++) sum += Math.exp(sc[j] - max);
        const l = max + Math.log(sum);
        lse[(b * s.H + h) * s.T + t] = l;
        const oAt = (b * s.T + t) * C + h * s.D;
        for (let j = 0; j < sc.length; j++) {
          const p = Math.exp(sc[j] - l);
          const vAt = v.offset + (b * s.T + j) * v.stride + h * s.D;
          for (let d = 0; d < s.D; d++) out[oAt + d] += p * v.data[vAt + d];
        }
      }
    }
  }
  return { out, lse };
}

/** out [B, T, C] = softmax(scale * q k^T, causal-masked) v per head; lse [B, H, T] = log-sum-exp of each row's scores. */
export function attentionForward(q: Strided, k: Strided, v: Strided, s: AttentionShape): { out: Float32Array; lse: Float32Array } {
  const r = attentionForward64(q, k, v, s);
  return { out: Float32Array.from(r.out), lse: Float32Array.from(r.lse) };
}

/**
 * Float64 backward from the saved out and lse:
 *   P = exp(S - lse), dV_j = sum_i P_ij dO_i, dP_ij = dO_i . v_j, Delta_i = dO_i . out_i,
 *   dS_ij = P_ij (dP_ij - Delta_i), dQ_i = scale sum_j dS_ij k_j, dK_j = scale sum_i dS_ij q_i.
 */
export function attentionBackward64(
  q: StridedOf<ArrayLike<number>>,
  k: StridedOf<ArrayLike<number>>,
  v: StridedOf<ArrayLike<number>>,
  out: ArrayLike<number>,
  lse: ArrayLike<number>,
  dOut: ArrayLike<number>,
  s: AttentionShape,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { C, scale } = attentionDims(s);
  const rows = s.B * s.T;
  checkStrided('q', q, rows, C);
  checkStrided('k', k, rows, C);
  checkStrided('v', v, rows, C);
  checkDense('out', out, rows * C, `[B*T, C] = [${rows}, ${C}]`);
  checkDense('lse', lse, s.B * s.H * s.T, `[B, H, T] = [${s.B}, ${s.H}, ${s.T}]`);
  checkDense('dOut', dOut, rows * C, `[B*T, C] = [${rows}, ${C}]`);
  const dq = new Float64Array(rows * C);
  const dk = new Float64Array(rows * C);
  const dv = new Float64Array(rows * C);
  for (let b = 0; b < s.B; b++) {
    for (let h = 0; h < s.H; h++) {
      for (let t = 0; t < s.T; t++) {
        const sc = scores(q, k, s, scale, b, h, t);
        const l = lse[(b * s.H + h) * s.T + t];
        const oAt = (b * s.T + t) * C + h * s.D;
        const qAt = q.offset + (b * s.T + t) * q.stride + h * s.D;
        let delta = 0;
        for (let d = 0; d < s.D; d++) delta += dOut[oAt + d] * out[oAt + d];
        for (let j = 0; j < sc.length; j++) {
          const p = Math.exp(sc[j] - l);
          const vAt = v.offset + (b * s.T + j) * v.stride + h * s.D;
          const kAt = k.offset + (b * s.T + j) * k.stride + h * s.D;
          const gAt = (b * s.T + j) * C + h * s.D;
          let dp = 0;
          for (let d = 0; d < s.D; d++) {
            dp += dOut[oAt + d] * v.data[vAt + d];
            dv[gAt + d] += p * dOut[oAt + d];
          }
          const ds = scale * p * (dp - delta);
          for (let d = 0; d < s.D; d++) {
            dq[oAt + d] += ds * k.data[kAt + d];
            dk[gAt + d] += ds * q.data[qAt + d];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}

/** Gradients of attentionForward's out with respect to q, k and v, each dense [B, T, C]. */
export function attentionBackward(
  q: Strided,
  k: Strided,
  v: Strided,
  out: Float32Array,
  lse: Float32Array,
  dOut: Float32Array,
  s: AttentionShape,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const r = attentionBackward64(q, k, v, out, lse, dOut, s);
  return { dq: Float32Array.from(r.dq), dk: Float32Array.from(r.dk), dv: Float32Array.from(r.dv) };
}
