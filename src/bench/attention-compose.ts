// Causal attention two ways on the same shape and the same numbers: Descent's fused kernels (forward, and the
// backward's two dispatches) and its composed implementation (src/kernels/attention-composed.ts: batched products
// over every head and a masked row softmax, 3 dispatches forward and 5 backward, keeping the T x T probabilities),
// each reading q, k, v from one [B*T, 3C] buffer and writing out and dQKV in the same layout.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { prepareAttentionBackward, prepareAttentionForward } from '../kernels/attention.js';
import { composedMatrixSize, prepareComposedAttentionBackward, prepareComposedAttentionForward } from '../kernels/attention-composed.js';
import { Rng } from '../util/rng.js';

/** Batch, sequence length, heads and head size of one attention. */
export interface AttentionShape {
  B: number;
  T: number;
  H: number;
  D: number;
}

/** The inputs both forms read: qkv [B*T, 3*H*D] (q, k, v column blocks) and dOut [B*T, H*D]. */
export interface AttentionData {
  qkv: Float32Array;
  dOut: Float32Array;
}

/** Seeded random inputs of a shape. */
export function randomAttentionData(s: AttentionShape, rng = new Rng(1)): AttentionData {
  const C = s.H * s.D;
  return { qkv: rng.floats(s.B * s.T * 3 * C), dOut: rng.floats(s.B * s.T * C) };
}

const release = (rt: Runtime, dispatches: Dispatch[], tensors: Tensor[]) => () => {
  for (const d of dispatches) rt.release(d);
  for (const t of tensors) t.destroy();
};

/** The fused causal attention forward and backward on qkv [B*T, 3*H*D] and dOut; out and dqkv are theirs to read. */
export async function prepareFusedAttention(
  rt: Runtime,
  s: AttentionShape,
  data: AttentionData = randomAttentionData(s),
  options: { rows?: number; wg?: number } = {},
): Promise<{ forward: Dispatch[]; backward: Dispatch[]; out: Tensor; dqkv: Tensor; destroy(): void }> {
  const { B, T, H, D } = s;
  const [C, rows] = [H * D, B * T];
  const shape = { B, T, H, D, causal: true };
  const qkv = Tensor.from(rt, data.qkv, [rows, 3 * C], 'qkv');
  const out = Tensor.zeros(rt, [rows, C], 'out');
  const lse = Tensor.zeros(rt, [B, H, T], 'lse');
  const dOut = Tensor.from(rt, data.dOut, [rows, C], 'dOut');
  const dqkv = Tensor.zeros(rt, [rows, 3 * C], 'dqkv');
  const delta = Tensor.zeros(rt, [B, H, T], 'delta');
  const forward = [await prepareAttentionForward(rt, { qkv, out, lse, shape }, options)];
  const backward = await prepareAttentionBackward(rt, { qkv, out, lse, dOut, dqkv, delta, shape }, options);
  return { forward, backward, out, dqkv, destroy: release(rt, [...forward, ...backward], [qkv, out, lse, dOut, dqkv, delta]) };
}

/** The composed causal attention (src/kernels/attention-composed.ts), forward and backward, on the same inputs. */
export async function prepareUnfusedAttention(
  rt: Runtime,
  s: AttentionShape,
  data: AttentionData = randomAttentionData(s),
): Promise<{ forward: Dispatch[]; backward: Dispatch[]; out: Tensor; dqkv: Tensor; destroy(): void }> {
  const { B, T, H, D } = s;
  const [C, rows] = [H * D, B * T];
  const shape = { B, T, H, D, causal: true };
  const qkv = Tensor.from(rt, data.qkv, [rows, 3 * C], 'qkv');
  const out = Tensor.zeros(rt, [rows, C], 'out');
  const dOut = Tensor.from(rt, data.dOut, [rows, C], 'dOut');
  const dqkv = Tensor.zeros(rt, [rows, 3 * C], 'dqkv');
  const [probs, scores, dProbs, dScores] = ['probs', 'scores', 'dProbs', 'dScores'].map((l) => Tensor.zeros(rt, [composedMatrixSize(s)], l)) as [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ];
  const forward = await prepareComposedAttentionForward(rt, { shape, qkv, out, probs, scores });
  const backward = await prepareComposedAttentionBackward(rt, { shape, qkv, probs, dOut, dqkv, dProbs, dScores });
  return { forward, backward, out, dqkv, destroy: release(rt, [...forward, ...backward], [qkv, out, dOut, dqkv, probs, scores, dProbs, dScores]) };
}
