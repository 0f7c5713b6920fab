// Attention composed of batched products and a row softmax, every head in one dispatch per product:
//   forward:  S = Q K^T, P = softmax(scale S) (masked when causal), O^T = V^T P^T          3 dispatches
//   backward: dP = dO V^T, dS = scale P (dP - rowsum(dP P)), dQ^T = K^T dS^T, dK^T = Q^T dS, dV^T = dO^T P   5
// It keeps P ([B*H*T, T], the forward's output the backward reads) where the fused kernels keep only lse, and
// needs two [B*H*T, T] scratch matrices per pass, so it is for short contexts. On CPU adapters it is the faster
// form: products run at the matmul kernel's speed (a subgroup shares the loads of A), where the fused kernels
// recompute scores per block of keys and reduce across a row serially. The products whose result has D columns
// are computed transposed (D rows, T columns), so a 16-row tile covers a head of D = 16 with no idle lanes, and
// written straight into the [B*T, C] (or [B*T, 3C]) rows through strides. Masked entries of P and dS are zero,
// so the products over them need no mask.
import { OptionError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { attentionDims, type AttentionShape } from '../reference/attention.js';
import { expectSize } from './attention.js';
import { batchedMatmulAvailable, prepareBatchedMatmul, type BatchedOperand } from './bmm.js';
import { matmulSubgroupSize } from './matmul.js';
import { prepareSoftmaxBackward, prepareSoftmaxForward } from './softmax.js';

/** How an attention runs: fused kernels (online softmax, no T x T matrix) or composed (keeps P). */
export type AttentionImplementation = 'fused' | 'composed';

/**
 * Largest context 'auto' composes, and the most bytes one of its [B*H*T, T] matrices may take: each attention layer
 * keeps its P from forward to backward (plus three scratch matrices shared between layers), so a 12-layer model at
 * the bound holds 192 MiB of P.
 */
export const COMPOSED_MAX_CONTEXT = 256;
export const COMPOSED_MAX_MATRIX_BYTES = 16 * 2 ** 20;

/** Elements of one [B*H*T, T] matrix of the composed form. */
export const composedMatrixSize = (s: Pick<AttentionShape, 'B' | 'H' | 'T'>): number => s.B * s.H * s.T * s.T;

/**
 * The implementation 'auto' picks: composed on CPU adapters whose subgroups have 8 or more lanes (the batched
 * product's sharing pays there, as for matmul's 'subgroup' variant) for contexts up to COMPOSED_MAX_CONTEXT whose
 * matrices fit COMPOSED_MAX_MATRIX_BYTES; fused elsewhere (GPUs, long contexts, no subgroups).
 */
export function pickAttentionImplementation(rt: Runtime, s: Pick<AttentionShape, 'B' | 'H' | 'T'>): AttentionImplementation {
  const composable = rt.isSoftware && (matmulSubgroupSize(rt) ?? 0) >= 8;
  return composable && s.T <= COMPOSED_MAX_CONTEXT && composedMatrixSize(s) * 4 <= COMPOSED_MAX_MATRIX_BYTES ? 'composed' : 'fused';
}

/** What a caller asks for: an implementation, or 'auto' (pickAttentionImplementation). */
export type AttentionChoice = 'auto' | AttentionImplementation;

/** The implementation of `choice` for this shape; OptionError as checkAttentionChoice. */
export function resolveAttentionImplementation(
  rt: Runtime,
  s: Pick<AttentionShape, 'B' | 'H' | 'T'>,
  choice: AttentionChoice = 'auto',
): AttentionImplementation {
  checkAttentionChoice(choice, rt);
  return choice === 'auto' ? pickAttentionImplementation(rt, s) : choice;
}

/**
 * Throws an OptionError unless `choice` is 'auto', 'fused' or 'composed', and, on runtime `rt`, unless it can run
 * there ('composed' needs subgroups of one fixed size).
 */
export function checkAttentionChoice(choice: unknown, rt: Runtime): asserts choice is AttentionChoice {
  if (choice !== 'auto' && choice !== 'fused' && choice !== 'composed') {
    throw new OptionError(`attention must be 'auto', 'fused' or 'composed', got ${JSON.stringify(choice)}`);
  }
  if (choice === 'composed' && !batchedMatmulAvailable(rt)) {
    throw new OptionError(`attention: 'composed' needs the 'subgroups' feature with one fixed subgroup size, which this adapter lacks; use 'fused' or 'auto'`);
  }
}

/** Inputs, output and scratch of the composed forward. */
export interface ComposedAttentionTensors {
  shape: AttentionShape;
  /** [B*T, 3C]: q, k, v column blocks. */
  qkv: Tensor;
  /** [B*T, C], overwritten. */
  out: Tensor;
  /** B*H*T*T elements, overwritten with P (row (b*H + h)*T + i, column j); the backward reads it. */
  probs: Tensor;
  /** B*H*T*T elements of scratch (the scores). */
  scores: Tensor;
}

/** Inputs, gradient and scratch of the composed backward. */
export interface ComposedAttentionBackwardTensors {
  shape: AttentionShape;
  qkv: Tensor;
  /** The forward's P. */
  probs: Tensor;
  /** [B*T, C], the gradient of out. */
  dOut: Tensor;
  /** [B*T, 3C], overwritten with dq, dk, dv column blocks. */
  dqkv: Tensor;
  /** Two B*H*T*T scratch matrices: dP, then dS. */
  dProbs: Tensor;
  dScores: Tensor;
}

/** Checks shared by both passes; the layouts of q, k, v, one head's rows of an [B*T, C] tensor, and the T x T matrices. */
function layouts(rt: Runtime, s: AttentionShape, t: { qkv: Tensor; matrices: [string, Tensor][]; rows: [string, Tensor][] }) {
  const { C, scale } = attentionDims(s);
  const { B, T, H, D } = s;
  expectSize('qkv', t.qkv, B * T * 3 * C, 'B*T*3C');
  for (const [name, m] of t.matrices) expectSize(name, m, composedMatrixSize(s), 'B*H*T*T');
  for (const [name, r] of t.rows) expectSize(name, r, B * T * C, 'B*T*C');
  // One head (b, h) of a [B*T, width] tensor at column block `block`: element (i, d) of head h.
  const head = (x: Tensor, width: number, block: number, transposed = false): BatchedOperand => ({
    t: x,
    offset: block * C,
    outer: T * width,
    inner: D,
    rowStride: transposed ? 1 : width,
    colStride: transposed ? width : 1,
  });
  // One head's T x T matrix (or its transpose).
  const square = (x: Tensor, transposed = false): BatchedOperand => ({
    t: x,
    outer: H * T * T,
    inner: T * T,
    rowStride: transposed ? 1 : T,
    colStride: transposed ? T : 1,
  });
  const rowsView = (x: Tensor, label: string) => Tensor.view(rt, x.buffer, [B * H * T, T], x.offset, label);
  const sizes = (M: number, N: number, K: number) => ({ M, N, K, outer: B, inner: H });
  return { C, scale, head, square, rowsView, sizes, mask: { scale, ...(s.causal ? { causal: true, T } : {}) } };
}

async function prepareAll(rt: Runtime, steps: (() => Promise<Dispatch>)[]): Promise<Dispatch[]> {
  const ds: Dispatch[] = [];
  try {
    for (const step of steps) ds.push(await step());
  } catch (e) {
    for (const d of ds) rt.release(d);
    throw e;
  }
  return ds;
}

/** Prepare the composed forward: S = Q K^T, P = softmax(scale S), O^T = V^T P^T (3 dispatches). */
export async function prepareComposedAttentionForward(rt: Runtime, t: ComposedAttentionTensors): Promise<Dispatch[]> {
  const s = t.shape;
  const { head, square, rowsView, sizes, mask } = layouts(rt, s, {
    qkv: t.qkv,
    matrices: [
      ['probs', t.probs],
      ['scores', t.scores],
    ],
    rows: [['out', t.out]],
  });
  const { T, D } = s;
  const w = 3 * s.H * D;
  return prepareAll(rt, [
    () => prepareBatchedMatmul(rt, { a: head(t.qkv, w, 0), b: head(t.qkv, w, 1, true), c: square(t.scores) }, sizes(T, T, D)),
    () => prepareSoftmaxForward(rt, { x: rowsView(t.scores, 'scores'), y: rowsView(t.probs, 'probs') }, mask),
    () => prepareBatchedMatmul(rt, { a: head(t.qkv, w, 2, true), b: square(t.probs, true), c: head(t.out, s.H * D, 0, true) }, sizes(D, T, T)),
  ]);
}

/** Prepare the composed backward: dP, dS, then dq, dk and dv into dqkv (5 dispatches). */
export async function prepareComposedAttentionBackward(rt: Runtime, t: ComposedAttentionBackwardTensors): Promise<Dispatch[]> {
  const s = t.shape;
  const { head, square, rowsView, sizes, mask } = layouts(rt, s, {
    qkv: t.qkv,
    matrices: [
      ['probs', t.probs],
      ['dProbs', t.dProbs],
      ['dScores', t.dScores],
    ],
    rows: [['dOut', t.dOut]],
  });
  expectSize('dqkv', t.dqkv, t.qkv.size, 'B*T*3C');
  const { T, D } = s;
  const [w, c] = [3 * s.H * D, s.H * D];
  return prepareAll(rt, [
    () => prepareBatchedMatmul(rt, { a: head(t.dOut, c, 0), b: head(t.qkv, w, 2, true), c: square(t.dProbs) }, sizes(T, T, D)),
    () => prepareSoftmaxBackward(rt, { y: rowsView(t.probs, 'probs'), dy: rowsView(t.dProbs, 'dProbs'), dx: rowsView(t.dScores, 'dScores') }, mask),
    () => prepareBatchedMatmul(rt, { a: head(t.qkv, w, 1, true), b: square(t.dScores, true), c: head(t.dqkv, w, 0, true) }, sizes(D, T, T)),
    () => prepareBatchedMatmul(rt, { a: head(t.qkv, w, 0, true), b: square(t.dScores), c: head(t.dqkv, w, 1, true) }, sizes(D, T, T)),
    () => prepareBatchedMatmul(rt, { a: head(t.dOut, c, 0, true), b: square(t.probs), c: head(t.dqkv, w, 2, true) }, sizes(D, T, T)),
  ]);
}
