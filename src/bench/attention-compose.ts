// Attention two ways on the same shape: Descent's fused kernels (forward, and the backward's two dispatches) and
// the forward composed of its other kernels, per head: matmul Q K^T into a T x T score matrix, a row softmax,
// matmul with V. The composition's softmax is softmax_cross_entropy's with NaN labels (its gradient output is then
// the softmax itself), without a causal mask, so it is, if anything, cheaper than a real masked softmax. There is
// no composed backward: Descent has no row-softmax backward kernel (softmax_cross_entropy's gradient is P - onehot,
// not P * (dP - rowsum(dP * P))), so no fair one can be built from existing kernels.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { prepareAttentionBackward, prepareAttentionForward } from '../kernels/attention.js';
import { prepareSoftmaxCrossEntropy } from '../kernels/loss.js';
import { prepareMatmul } from '../kernels/matmul.js';
import { Rng } from '../util/rng.js';

/** Batch, sequence length, heads and head size of one attention. */
export interface AttentionShape {
  B: number;
  T: number;
  H: number;
  D: number;
}

/** Prepared dispatches on their own tensors; destroy() releases both. */
export interface PreparedAttention {
  dispatches: Dispatch[];
  destroy(): void;
}

const own = (rt: Runtime, dispatches: Dispatch[], tensors: Tensor[]): PreparedAttention => ({
  dispatches,
  destroy() {
    for (const d of dispatches) rt.release(d);
    for (const t of tensors) t.destroy();
  },
});

/** The fused causal attention forward and backward on random qkv [B*T, 3*H*D] and dOut. */
export async function prepareFusedAttention(
  rt: Runtime,
  s: AttentionShape,
  rng = new Rng(1),
  options: { rows?: number } = {},
): Promise<{ forward: Dispatch[]; backward: Dispatch[]; destroy(): void }> {
  const { B, T, H, D } = s;
  const [C, rows] = [H * D, B * T];
  const shape = { B, T, H, D, causal: true };
  const qkv = Tensor.from(rt, rng.floats(rows * 3 * C), [rows, 3 * C], 'qkv');
  const out = Tensor.zeros(rt, [rows, C], 'out');
  const lse = Tensor.zeros(rt, [B, H, T], 'lse');
  const dOut = Tensor.from(rt, rng.floats(rows * C), [rows, C], 'dOut');
  const dqkv = Tensor.zeros(rt, [rows, 3 * C], 'dqkv');
  const delta = Tensor.zeros(rt, [B, H, T], 'delta');
  const forward = [await prepareAttentionForward(rt, { qkv, out, lse, shape }, options)];
  const backward = await prepareAttentionBackward(rt, { qkv, out, lse, dOut, dqkv, delta, shape }, options);
  return { forward, backward, destroy: own(rt, [...forward, ...backward], [qkv, out, lse, dOut, dqkv, delta]).destroy };
}

/**
 * The unfused forward on random head-major q, k, v [B*H, T, D] (the layout a composition would transpose to):
 * B*H matmuls Q K^T, one unmasked row softmax over [B*H*T, T], B*H matmuls P V.
 */
export async function prepareUnfusedAttentionForward(rt: Runtime, s: AttentionShape, rng = new Rng(1)): Promise<PreparedAttention> {
  const { B, T, H, D } = s;
  const n = B * H;
  const heads = (label: string) => Tensor.from(rt, rng.floats(n * T * D), [n * T * D], label);
  const [q, k, v] = [heads('q'), heads('k'), heads('v')];
  const S = Tensor.zeros(rt, [n * T, T], 'scores');
  const P = Tensor.zeros(rt, [n * T, T], 'probabilities');
  const O = Tensor.zeros(rt, [n * T * D], 'o');
  const labels = Tensor.from(rt, new Float32Array(n * T).fill(NaN), [n * T], 'labels');
  const rowLoss = Tensor.zeros(rt, [n * T], 'loss');
  const correct = Tensor.zeros(rt, [n * T], 'correct');
  const view = (t: Tensor, i: number, r: number, c: number) => Tensor.view(rt, t.buffer, [r, c], i * r * c * 4);
  const dispatches: Dispatch[] = [];
  for (let i = 0; i < n; i++) dispatches.push(await prepareMatmul(rt, { a: view(q, i, T, D), b: view(k, i, T, D), c: view(S, i, T, T) }, { transB: true }));
  dispatches.push(await prepareSoftmaxCrossEntropy(rt, { logits: S, labels, loss: rowLoss, dlogits: P, correct }, { gradScale: 1 }));
  for (let i = 0; i < n; i++) dispatches.push(await prepareMatmul(rt, { a: view(P, i, T, T), b: view(v, i, T, D), c: view(O, i, T, D) }));
  return own(rt, dispatches, [q, k, v, S, P, O, labels, rowLoss, correct]);
}
