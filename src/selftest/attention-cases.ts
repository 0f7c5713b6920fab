// Attention forward and backward and the token embedding against the float64 reference, on shapes chosen to
// break the kernels: head sizes that are not multiples of 4 (1, 3, 24) and the register limit (64), sequence
// lengths of 1, odd, tile-aligned and one past a tile (7, 64, 65), 1, 3 and 4 heads, batch 1 and 2, causal and
// not. q, k and v are read as column blocks of one fused QKV buffer inside a NaN-filled arena (a read outside a
// view poisons the result), gradients are written into a fused dQKV buffer or as three dense tensors.
import { Tensor } from '../gpu/tensor.js';
import { runPrepared } from '../kernels/common.js';
import { attentionBackward, attentionForward, prepareAttentionBackward } from '../kernels/attention.js';
import { embeddingBackward, embeddingForward } from '../kernels/embedding.js';
import { attentionBackward as refBackward, attentionForward as refForward, type AttentionShape } from '../reference/attention.js';
import { embeddingBackward as refEmbBackward, embeddingForward as refEmbForward } from '../reference/embedding.js';
import { reductionTolerance, type Tolerance } from '../util/allclose.js';
import type { Rng } from '../util/rng.js';
import { arena, EXACT, kcase, type KernelCase } from './harness.js';

/** The break-it attention shapes. */
export const ATTENTION_SHAPES: readonly AttentionShape[] = [
  { B: 1, T: 1, H: 1, D: 1, causal: true },
  { B: 2, T: 7, H: 3, D: 3, causal: true },
  { B: 2, T: 7, H: 3, D: 3, causal: false },
  { B: 1, T: 64, H: 4, D: 16, causal: true },
  { B: 2, T: 65, H: 1, D: 24, causal: true },
  { B: 2, T: 7, H: 4, D: 16, causal: false },
  { B: 1, T: 65, H: 3, D: 64, causal: true, scale: 0.3 },
];

/** A shape as a case's name: 'B2 T7 H3 D3 causal'. */
export const attentionTag = (s: AttentionShape) =>
  `B${s.B} T${s.T} H${s.H} D${s.D}${s.causal ? ' causal' : ''}${s.scale !== undefined ? ` scale ${s.scale}` : ''}`;

/** dq, dk and dv [B*T, C] each as one [B*T, 3C] matrix in the layout of QKV (the layout a fused dQKV is written in). */
export function fusedGradients(g: { dq: ArrayLike<number>; dk: ArrayLike<number>; dv: ArrayLike<number> }, rows: number, C: number): Float32Array {
  return Float32Array.from({ length: rows * 3 * C }, (_, i) => {
    const [r, c] = [Math.floor(i / (3 * C)), i % (3 * C)];
    return (c < C ? g.dq : c < 2 * C ? g.dk : g.dv)[r * C + (c % C)]!;
  });
}

/** Scores sum D products and the outputs sum T weighted rows: atol grows with both. */
const attentionTol = (s: AttentionShape): Tolerance => reductionTolerance(s.T * s.D);

/** A fused [B*T, 3C] QKV buffer as a view into a NaN-filled arena, and the reference's strided views of it. */
function fusedQkv(rt: Parameters<KernelCase['run']>[0], rng: Rng, s: AttentionShape) {
  const C = s.H * s.D;
  const rows = s.B * s.T;
  const data = rng.floats(rows * 3 * C);
  const a = arena(rt, [{ data, shape: [rows, 3 * C] }]);
  const view = (i: number) => ({ data, offset: i * C, stride: 3 * C });
  return { owner: a.owner, qkv: a.views[0]!, ref: [view(0), view(1), view(2)] as const, C, rows };
}

/** Every attention kernel on every break-it shape. */
export function attentionCases(shapes: readonly AttentionShape[] = ATTENTION_SHAPES): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 9500;
  for (const [n, s] of shapes.entries()) {
    cases.push(
      kcase('attention', attentionTag(s), ++seed, async (rt, rng, check) => {
        const { owner, qkv, ref } = fusedQkv(rt, rng, s);
        const want = refForward(...ref, s);
        return check([owner], async () => {
          const { out, lse } = await attentionForward(rt, { qkv, shape: s });
          return [
            ['out', out, want.out, attentionTol(s)],
            ['lse', lse, want.lse, reductionTolerance(s.D)],
          ];
        });
      }),
    );
    cases.push(
      // Even shapes: the prepared form writing a fused dQKV in an arena; odd shapes: the one-shot form from three
      // separate strided q, k, v tensors into three dense gradients.
      kcase('attention_backward', attentionTag(s), ++seed, async (rt, rng, check) => {
        const { owner, qkv, ref, C, rows } = fusedQkv(rt, rng, s);
        const f = refForward(...ref, s);
        const dOutData = rng.floats(rows * C);
        const want = refBackward(...ref, f.out, f.lse, dOutData, s);
        const out = Tensor.from(rt, f.out, [rows, C], 'out');
        const lse = Tensor.from(rt, f.lse, [s.B, s.H, s.T], 'lse');
        const dOut = Tensor.from(rt, dOutData, [rows, C], 'dOut');
        const tol = attentionTol(s);
        const inputs = [owner, out, lse, dOut];
        if (n % 2 === 0) {
          const grads = arena(rt, [{ data: new Float32Array(rows * 3 * C), shape: [rows, 3 * C] }]);
          const delta = Tensor.zeros(rt, [s.B, s.H, s.T], 'delta');
          return check([...inputs, grads.owner, delta], async () => {
            await runPrepared(rt, [], [() => prepareAttentionBackward(rt, { qkv, out, lse, dOut, dqkv: grads.views[0]!, delta, shape: s })]);
            return [['dqkv', grads.views[0]!, fusedGradients(want, rows, C), tol]];
          });
        }
        const split = [0, 1, 2].map((i) =>
          Tensor.from(
            rt,
            Float32Array.from({ length: rows * C }, (_, j) => ref[i]!.data[ref[i]!.offset + Math.floor(j / C) * 3 * C + (j % C)]!),
            [rows, C],
            'qkv'[i]!,
          ),
        );
        return check([...inputs, ...split], async () => {
          const g = await attentionBackward(rt, { q: { t: split[0]! }, k: { t: split[1]! }, v: { t: split[2]! }, out, lse, dOut, shape: s });
          return [
            ['dq', g.dq, want.dq, tol],
            ['dk', g.dk, want.dk, tol],
            ['dv', g.dv, want.dv, tol],
          ];
        });
      }),
    );
  }
  return cases;
}

/** [B, T, V, C] of the embedding cases: one token repeated over the batch, V not a multiple of anything, a large V. */
export const EMBEDDING_SHAPES: readonly { tag: string; B: number; T: number; V: number; C: number; repeated?: boolean }[] = [
  { tag: 'one repeated token B4 T16 V65 C8', B: 4, T: 16, V: 65, C: 8, repeated: true },
  { tag: 'B2 T7 V5 C3', B: 2, T: 7, V: 5, C: 3 },
  { tag: 'B1 T1 V1 C1', B: 1, T: 1, V: 1, C: 1 },
  { tag: 'B3 T33 V1000 C24', B: 3, T: 33, V: 1000, C: 24 },
];

/** Embedding forward (token + positional, table at an arena offset) and backward on every embedding shape. */
export function embeddingCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 9700;
  for (const s of EMBEDDING_SHAPES) {
    const N = s.B * s.T;
    const idsOf = (rng: Rng) => Uint32Array.from({ length: N }, () => (s.repeated ? 7 % s.V : rng.int(s.V)));
    cases.push(
      kcase('embedding', s.tag, ++seed, async (rt, rng, check) => {
        const ids = idsOf(rng);
        const [table, pos] = [rng.floats(s.V * s.C), rng.floats(s.T * s.C)];
        const gathered = refEmbForward(ids, table, s.V, s.C);
        const want = gathered.map((x, i) => x + pos[(Math.floor(i / s.C) % s.T) * s.C + (i % s.C)]!);
        const params = arena(rt, [
          { data: pos, shape: [s.T, s.C] },
          { data: table, shape: [s.V, s.C] },
        ]);
        // The table addressed by an element offset into the whole arena, as the parameter arena would be.
        const tableOffset = params.views[1]!.offset / 4;
        return check([params.owner], async () => [
          ['out', await embeddingForward(rt, ids, params.owner, s.V, s.C, { tableOffset, pos: params.views[0]!, T: s.T }), want, EXACT],
        ]);
      }),
    );
    cases.push(
      kcase('embedding_grad', s.tag, ++seed, async (rt, rng, check) => {
        const ids = idsOf(rng);
        const dOutData = rng.floats(N * s.C);
        const dOut = Tensor.from(rt, dOutData, [N, s.C], 'dOut');
        // Sums of up to N terms in another order than float64's: rounding only.
        return check([dOut], async () => [
          ['dTable', await embeddingBackward(rt, ids, dOut, s.V, s.C), refEmbBackward(ids, dOutData, s.V, s.C), reductionTolerance(N)],
        ]);
      }),
    );
  }
  return cases;
}
