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

/** One form's dispatches and the tensors holding its results (out [B*T, C], dqkv [B*T, 3C]). */
export interface PreparedAttention {
  forward: Dispatch[];
  backward: Dispatch[];
  out: Tensor;
  dqkv: Tensor;
  destroy(): void;
}

/** The tensors both forms share, the form's own zeroed `scratch` (by name and shape), and its dispatches from `prepare`. */
async function prepareForm<K extends string>(
  rt: Runtime,
  s: AttentionShape,
  data: AttentionData,
  scratch: Record<K, readonly number[]>,
  prepare: (t: { shape: AttentionShape & { causal: true }; qkv: Tensor; out: Tensor; dOut: Tensor; dqkv: Tensor } & Record<K, Tensor>) => Promise<Dispatch[][]>,
): Promise<PreparedAttention> {
  const [C, rows] = [s.H * s.D, s.B * s.T];
  const own = Object.fromEntries(Object.entries<readonly number[]>(scratch).map(([k, shape]) => [k, Tensor.zeros(rt, shape, k)])) as Record<K, Tensor>;
  const t = {
    shape: { B: s.B, T: s.T, H: s.H, D: s.D, causal: true as const },
    qkv: Tensor.from(rt, data.qkv, [rows, 3 * C], 'qkv'),
    out: Tensor.zeros(rt, [rows, C], 'out'),
    dOut: Tensor.from(rt, data.dOut, [rows, C], 'dOut'),
    dqkv: Tensor.zeros(rt, [rows, 3 * C], 'dqkv'),
    ...own,
  };
  const tensors = [t.qkv, t.out, t.dOut, t.dqkv, ...Object.values<Tensor>(own)];
  const [forward, backward] = (await prepare(t)) as [Dispatch[], Dispatch[]];
  return { forward, backward, out: t.out, dqkv: t.dqkv, destroy: release(rt, [...forward, ...backward], tensors) };
}

/** The fused causal attention forward and backward on qkv [B*T, 3*H*D] and dOut; out and dqkv are theirs to read. */
export function prepareFusedAttention(
  rt: Runtime,
  s: AttentionShape,
  data: AttentionData = randomAttentionData(s),
  options: { rows?: number; wg?: number } = {},
): Promise<PreparedAttention> {
  return prepareForm(rt, s, data, { lse: [s.B, s.H, s.T], delta: [s.B, s.H, s.T] }, async (t) => [
    [await prepareAttentionForward(rt, t, options)],
    await prepareAttentionBackward(rt, t, options),
  ]);
}

/** The composed causal attention (src/kernels/attention-composed.ts), forward and backward, on the same inputs. */
export function prepareUnfusedAttention(rt: Runtime, s: AttentionShape, data: AttentionData = randomAttentionData(s)): Promise<PreparedAttention> {
  const n = [composedMatrixSize(s)];
  return prepareForm(rt, s, data, { probs: n, scores: n, dProbs: n, dScores: n }, async (t) => [
    await prepareComposedAttentionForward(rt, t),
    await prepareComposedAttentionBackward(rt, t),
  ]);
}
