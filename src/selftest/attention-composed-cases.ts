// The composed attention (batched products and a row softmax, src/kernels/attention-composed.ts) and its batched
// matmul, against the float64 references on the break-it attention shapes: q, k, v read from a fused QKV buffer
// inside a NaN-filled arena, out and dQKV written into arenas, so a read or write outside a head's block shows.
import { Tensor } from '../gpu/tensor.js';
import { prepareComposedAttentionBackward, prepareComposedAttentionForward, composedMatrixSize } from '../kernels/attention-composed.js';
import { prepareBatchedMatmul } from '../kernels/bmm.js';
import { runPrepared } from '../kernels/common.js';
import { attentionBackward as refBackward, attentionForward as refForward, type AttentionShape } from '../reference/attention.js';
import { batchedExtent, batchedMatmul, type BatchedLayout, type BatchedMatmulShape } from '../reference/bmm.js';
import { reductionTolerance } from '../util/allclose.js';
import { ATTENTION_SHAPES, attentionTag, fusedGradients } from './attention-cases.js';
import { arena, kcase, type KernelCase } from './harness.js';

/** Forward (out) and backward (dq, dk, dv in one dQKV) of the composed attention on every break-it shape. */
export function composedAttentionCases(shapes: readonly AttentionShape[] = ATTENTION_SHAPES): KernelCase[] {
  let seed = 9800;
  return shapes.map((s) =>
    kcase('attention_composed', attentionTag(s), ++seed, async (rt, rng, check) => {
      const C = s.H * s.D;
      const rows = s.B * s.T;
      const [qkvData, dOutData] = [rng.floats(rows * 3 * C), rng.floats(rows * C)];
      const ref = [0, 1, 2].map((i) => ({ data: qkvData, offset: i * C, stride: 3 * C })) as [never, never, never];
      const f = refForward(...ref, s);
      const g = refBackward(...ref, f.out, f.lse, dOutData, s);
      const inputs = arena(rt, [
        { data: qkvData, shape: [rows, 3 * C] },
        { data: dOutData, shape: [rows, C] },
      ]);
      const outputs = arena(rt, [
        { data: new Float32Array(rows * C), shape: [rows, C] },
        { data: new Float32Array(rows * 3 * C), shape: [rows, 3 * C] },
      ]);
      const [qkv, dOut] = inputs.views as [Tensor, Tensor];
      const [out, dqkv] = outputs.views as [Tensor, Tensor];
      const n = composedMatrixSize(s);
      const scratch = ['probs', 'scores', 'dProbs', 'dScores'].map((l) => Tensor.zeros(rt, [n], l)) as [Tensor, Tensor, Tensor, Tensor];
      const [probs, scores, dProbs, dScores] = scratch;
      const want = fusedGradients(g, rows, C);
      const tol = reductionTolerance(s.T * s.D);
      return check([inputs.owner, outputs.owner, ...scratch], async () => {
        await runPrepared(rt, [], [() => prepareComposedAttentionForward(rt, { shape: s, qkv, out, probs, scores })]);
        await runPrepared(rt, [], [() => prepareComposedAttentionBackward(rt, { shape: s, qkv, probs, dOut, dqkv, dProbs, dScores })]);
        return [
          ['out', out, f.out, tol],
          ['dqkv', dqkv, want, tol],
        ];
      });
    }),
  );
}

/** Batched products with transposed, offset and interleaved operands; M, N, K not multiples of the 16 x 8 tile. */
const BMM_SHAPES: readonly { tag: string; s: BatchedMatmulShape; a: BatchedLayout; b: BatchedLayout; c: BatchedLayout }[] = [
  {
    tag: '2x3 batches 17x9x5 plain',
    s: { M: 17, N: 9, K: 5, outer: 2, inner: 3 },
    a: { outer: 3 * 85, inner: 85, rowStride: 5, colStride: 1 },
    b: { offset: 7, outer: 3 * 45, inner: 45, rowStride: 9, colStride: 1 },
    c: { outer: 3 * 153, inner: 153, rowStride: 9, colStride: 1 },
  },
  {
    tag: '1x4 heads 33x70x3 A^T B^T C^T alpha 0.5',
    s: { M: 33, N: 70, K: 3, outer: 1, inner: 4, alpha: 0.5 },
    // Heads as column blocks of one [rows, 4 * width] tensor, read (and written) transposed.
    a: { offset: 1, inner: 33, rowStride: 1, colStride: 4 * 33 },
    b: { inner: 3, rowStride: 1, colStride: 12 },
    c: { offset: 2, inner: 33, rowStride: 1, colStride: 4 * 33 },
  },
  {
    tag: '1x1 1x1x1',
    s: { M: 1, N: 1, K: 1, outer: 1, inner: 1 },
    a: { rowStride: 1, colStride: 1 },
    b: { rowStride: 1, colStride: 1 },
    c: { rowStride: 1, colStride: 1 },
  },
];

/** The batched matmul against its float64 reference. */
export function batchedMatmulCases(): KernelCase[] {
  let seed = 9850;
  return BMM_SHAPES.map((x) =>
    kcase('bmm', x.tag, ++seed, async (rt, rng, check) => {
      const sizes = [
        batchedExtent('bmm', 'a', x.a, x.s, x.s.M, x.s.K),
        batchedExtent('bmm', 'b', x.b, x.s, x.s.K, x.s.N),
        batchedExtent('bmm', 'c', x.c, x.s, x.s.M, x.s.N),
      ];
      const [aData, bData] = [rng.floats(sizes[0]!), rng.floats(sizes[1]!)];
      const want = new Float32Array(sizes[2]!).fill(NaN);
      batchedMatmul(aData, x.a, bData, x.b, want, x.c, x.s);
      const a = Tensor.from(rt, aData, [sizes[0]!], 'a');
      const b = Tensor.from(rt, bData, [sizes[1]!], 'b');
      // Untouched entries stay NaN on both sides (allclose takes NaN as equal to NaN).
      const c = Tensor.from(rt, new Float32Array(sizes[2]!).fill(NaN), [sizes[2]!], 'c');
      return check([a, b], async () => {
        await runPrepared(rt, [], [() => prepareBatchedMatmul(rt, { a: { t: a, ...x.a }, b: { t: b, ...x.b }, c: { t: c, ...x.c } }, x.s)]);
        return [['c', c, want, reductionTolerance(x.s.K)]];
      });
    }),
  );
}
