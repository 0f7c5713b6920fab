// Causal attention two ways on the same shape and the same numbers: Descent's fused kernels (forward, and the
// backward's two dispatches) and a composition of its other kernels, per head (b, h), with P = softmax(scale S):
//   forward:  S = Q K^T (a matmul per head), P = one masked row softmax over every head's rows, O = P V (per head);
//   backward: dV = P^T dO, dP = dO V^T (per head), dS = one softmax backward over every head's rows,
//             dQ = dS K, dK = dS^T Q (per head).
// The softmax backward returns the gradient of the unscaled scores, scale * P (dP - rowsum(dP * P)): the scale the
// fused backward applies to dq and dk, the only products of dS. The composition reads q, k, v and dO head-major
// ([B*H] blocks of [T, D], the layout a composition would transpose to; the transposes are not timed), each block
// at a 256-byte aligned offset so it can be bound alone. The scores of all heads stay one [B*H*Tp, T] matrix for
// the softmax: Tp >= T rows a head (Tp = T when T is a multiple of 8), the rows past T computed and never read.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { prepareAttentionBackward, prepareAttentionForward } from '../kernels/attention.js';
import { prepareMatmul } from '../kernels/matmul.js';
import { prepareSoftmaxBackward, prepareSoftmaxForward } from '../kernels/softmax.js';
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

/** Floats a binding offset must be a multiple of (256 bytes). */
const ALIGN = 64;
const aligned = (floats: number) => Math.ceil(floats / ALIGN) * ALIGN;

/** One [rows, cols] block per head (b * H + h) in one buffer, `stride` floats apart (aligned). */
export class HeadBlocks {
  readonly all: Tensor;
  readonly views: Tensor[];

  constructor(
    rt: Runtime,
    n: number,
    rows: number,
    cols: number,
    label: string,
    data?: Float32Array,
    readonly stride = aligned(rows * cols),
  ) {
    this.all = data ? Tensor.from(rt, data, [n * this.stride], label) : Tensor.zeros(rt, [n * this.stride], label);
    this.views = Array.from({ length: n }, (_, i) => Tensor.view(rt, this.all.buffer, [rows, cols], i * this.stride * 4, `${label}[${i}]`));
  }
}

/** Column block `block` (of width C, in rows of `width`) of a [B*T, width] matrix, head-major with aligned blocks. */
function headMajor(src: Float32Array, s: AttentionShape, width: number, block: number): Float32Array {
  const { B, T, H, D } = s;
  const stride = aligned(T * D);
  const out = new Float32Array(B * H * stride);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) out[(b * H + h) * stride + t * D + d] = src[(b * T + t) * width + block * H * D + h * D + d]!;
  return out;
}

/** A head-major result back as [B*T, H*D] rows, the fused kernels' layout. */
export async function rowMajor(blocks: HeadBlocks, s: AttentionShape): Promise<Float32Array> {
  const { B, T, H, D } = s;
  const out = new Float32Array(B * T * H * D);
  const all = await blocks.all.read();
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) out[(b * T + t) * H * D + h * D + d] = all[(b * H + h) * blocks.stride + t * D + d]!;
  return out;
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

/** The composed attention's dispatches, and its head-major results (rowMajor reads them as [B*T, H*D]). */
export interface UnfusedAttention {
  /** B*H matmuls Q K^T, one causal row softmax, B*H matmuls P V: 2 B H + 1 dispatches. */
  forward: Dispatch[];
  /** B*H matmuls each of dV and dP, one softmax backward, B*H matmuls each of dQ and dK: 4 B H + 1 dispatches. */
  backward: Dispatch[];
  out: HeadBlocks;
  dq: HeadBlocks;
  dk: HeadBlocks;
  dv: HeadBlocks;
  destroy(): void;
}

/** Rows a head's scores take so that every head's block starts at an aligned offset: the least Tp >= T with Tp T aligned. */
export function scoreRows(T: number): number {
  let Tp = T;
  while ((Tp * T) % ALIGN !== 0) Tp++;
  return Tp;
}

/** The composed causal attention, forward and backward, on the same inputs as prepareFusedAttention. */
export async function prepareUnfusedAttention(rt: Runtime, s: AttentionShape, data: AttentionData = randomAttentionData(s)): Promise<UnfusedAttention> {
  const { B, T, H, D } = s;
  const n = B * H;
  const C = H * D;
  const Tp = scoreRows(T);
  const heads = (label: string, src?: Float32Array) => new HeadBlocks(rt, n, T, D, label, src);
  const [q, k, v] = [0, 1, 2].map((i) => heads('qkv'[i]!, headMajor(data.qkv, s, 3 * C, i))) as [HeadBlocks, HeadBlocks, HeadBlocks];
  const dO = heads('dO', headMajor(data.dOut, s, C, 0));
  const [out, dq, dk, dv] = [heads('o'), heads('dq'), heads('dk'), heads('dv')];
  // Score-shaped [n * Tp, T] matrices: S, P = softmax(scale S), dP, dS.
  const scores = (label: string) => new HeadBlocks(rt, n, T, T, label, undefined, Tp * T);
  const [S, P, dP, dS] = [scores('scores'), scores('probabilities'), scores('dP'), scores('dS')];
  const whole = (b: HeadBlocks) => Tensor.view(rt, b.all.buffer, [n * Tp, T], 0, b.all.label);
  const softmaxOptions = { causal: true, T: Tp, scale: 1 / Math.sqrt(D) };
  const mm = (a: Tensor, b: Tensor, c: Tensor, o: { transA?: boolean; transB?: boolean } = {}) => prepareMatmul(rt, { a, b, c }, o);
  const forward: Dispatch[] = [];
  const backward: Dispatch[] = [];
  const each = async (make: (i: number) => Promise<Dispatch>, into: Dispatch[]) => {
    for (let i = 0; i < n; i++) into.push(await make(i));
  };
  await each((i) => mm(q.views[i]!, k.views[i]!, S.views[i]!, { transB: true }), forward);
  forward.push(await prepareSoftmaxForward(rt, { x: whole(S), y: whole(P) }, softmaxOptions));
  await each((i) => mm(P.views[i]!, v.views[i]!, out.views[i]!), forward);
  await each((i) => mm(P.views[i]!, dO.views[i]!, dv.views[i]!, { transA: true }), backward);
  await each((i) => mm(dO.views[i]!, v.views[i]!, dP.views[i]!, { transB: true }), backward);
  backward.push(await prepareSoftmaxBackward(rt, { y: whole(P), dy: whole(dP), dx: whole(dS) }, softmaxOptions));
  await each((i) => mm(dS.views[i]!, k.views[i]!, dq.views[i]!), backward);
  await each((i) => mm(dS.views[i]!, q.views[i]!, dk.views[i]!, { transA: true }), backward);
  const owned = [q, k, v, dO, out, dq, dk, dv, S, P, dP, dS].map((b) => b.all);
  return { forward, backward, out, dq, dk, dv, destroy: release(rt, [...forward, ...backward], owned) };
}
