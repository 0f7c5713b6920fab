// The attention and embedding CPU references: hand-checked small cases, strided (fused QKV) views, typed errors, and
// every gradient against float64 central differences of a scalar loss sum(out * G).
import { describe, expect, it } from 'vitest';
import { DataError, ShapeError, Rng } from '../src/index.js';
import { attentionBackward, attentionBackward64, attentionForward, attentionForward64, type AttentionShape } from '../src/reference/attention.js';
import { embeddingBackward, embeddingBackwardIndex, embeddingForward } from '../src/reference/embedding.js';
import { numericGrad } from './helpers/numeric-grad.js';

const rand = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-6) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]: got ${got[i]} want ${want[i]}`).toBeLessThan(tol * (1 + Math.abs(want[i]!)));
  }
}

/** A dense [rows, C] view. */
const dense32 = (data: Float32Array, C: number) => ({ data, offset: 0, stride: C });

describe('attention reference', () => {
  it('T = 1 copies v; uniform scores average v; the causal first row sees only itself', () => {
    const s: AttentionShape = { B: 1, T: 2, H: 1, D: 2, causal: true };
    const q = { data: new Float32Array([0, 0, 0, 0]), offset: 0, stride: 2 };
    const v = { data: new Float32Array([1, 2, 3, 4]), offset: 0, stride: 2 };
    const { out, lse } = attentionForward(q, q, v, s);
    expect(Array.from(out)).toEqual([1, 2, 2, 3]); // row 0 = v0, row 1 = mean(v0, v1)
    expect(lse[0]).toBeCloseTo(0, 12);
    expect(lse[1]).toBeCloseTo(Math.log(2), 6);
    const nc = attentionForward(q, q, v, { ...s, causal: false });
    expect(Array.from(nc.out)).toEqual([2, 3, 2, 3]);
  });

  it('matches a direct softmax with scale and heads read from a fused QKV buffer', () => {
    const rng = new Rng(3);
    const s: AttentionShape = { B: 2, T: 3, H: 2, D: 2, causal: true, scale: 0.7 };
    const C = 4;
    const qkv = rng.floats(2 * 3 * 3 * C);
    const view = (o: number) => ({ data: qkv, offset: o, stride: 3 * C });
    const { out, lse } = attentionForward(view(0), view(C), view(2 * C), s);
    const at = (o: number, row: number, h: number, d: number) => qkv[o + row * 3 * C + h * 2 + d]!;
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 2; h++)
        for (let t = 0; t < 3; t++) {
          const w: number[] = [];
          for (let j = 0; j <= t; j++) w.push(0.7 * (at(0, b * 3 + t, h, 0) * at(C, b * 3 + j, h, 0) + at(0, b * 3 + t, h, 1) * at(C, b * 3 + j, h, 1)));
          const z = w.reduce((a, x) => a + Math.exp(x), 0);
          expect(lse[(b * 2 + h) * 3 + t]).toBeCloseTo(Math.log(z), 5);
          for (let d = 0; d < 2; d++) {
            const want = w.reduce((a, x, j) => a + (Math.exp(x) / z) * at(2 * C, b * 3 + j, h, d), 0);
            expect(out[(b * 3 + t) * C + h * 2 + d]).toBeCloseTo(want, 5);
          }
        }
  });

  const shapes: AttentionShape[] = [
    { B: 1, T: 1, H: 1, D: 1, causal: true },
    { B: 2, T: 4, H: 3, D: 2, causal: true },
    { B: 1, T: 5, H: 2, D: 3, causal: false, scale: 0.3 },
  ];
  for (const s of shapes) {
    it(`gradients match central differences B=${s.B} T=${s.T} H=${s.H} D=${s.D} causal=${s.causal}`, () => {
      const rng = new Rng(11);
      const C = s.H * s.D;
      const rows = s.B * s.T;
      // q, k, v interleaved in one fused buffer with a padding column, so offsets and strides are exercised.
      const stride = 3 * C + 1;
      const qkv = rand(rng, rows * stride);
      const G = rand(rng, rows * C);
      const view = (o: number) => ({ data: qkv, offset: o, stride });
      const loss = () => dot(attentionForward64(view(0), view(C), view(2 * C), s).out, G);
      const f = attentionForward64(view(0), view(C), view(2 * C), s);
      const g = attentionBackward64(view(0), view(C), view(2 * C), f.out, f.lse, G, s);
      const num = numericGrad(loss, qkv);
      const pick = (o: number) => Float64Array.from({ length: rows * C }, (_, i) => num[o + Math.floor(i / C) * stride + (i % C)]!);
      expectClose(g.dq, pick(0), 'dq');
      expectClose(g.dk, pick(C), 'dk');
      expectClose(g.dv, pick(2 * C), 'dv');
      // The padding column is read by nobody.
      for (let r = 0; r < rows; r++) expect(num[r * stride + 3 * C]).toBe(0);
    });
  }

  it('float32 wrappers agree with the float64 core', () => {
    const rng = new Rng(5);
    const s: AttentionShape = { B: 1, T: 3, H: 1, D: 4, causal: true };
    const [q, k, v, dO] = [0, 1, 2, 3].map(() => rng.floats(12));
    const f = attentionForward(dense32(q!, 4), dense32(k!, 4), dense32(v!, 4), s);
    const b = attentionBackward(dense32(q!, 4), dense32(k!, 4), dense32(v!, 4), f.out, f.lse, dO!, s);
    const b64 = attentionBackward64(dense32(q!, 4), dense32(k!, 4), dense32(v!, 4), f.out, f.lse, dO!, s);
    expectClose(b.dq, b64.dq, 'dq', 1e-6);
    expect(b.dk).toBeInstanceOf(Float32Array);
  });

  it('bad shapes and views are ShapeErrors naming the field', () => {
    const v = dense32(new Float32Array(8), 4);
    const s: AttentionShape = { B: 1, T: 2, H: 2, D: 2, causal: true };
    expect(() => attentionForward(v, v, v, { ...s, D: 0 })).toThrow(/D must be a positive integer/);
    expect(() => attentionForward(v, v, v, { ...s, T: 1.5 })).toThrow(ShapeError);
    expect(() => attentionForward({ ...v, stride: 3 }, v, v, s)).toThrow(/q.stride must be an integer >= C = 4/);
    expect(() => attentionForward(v, { ...v, offset: 1 }, v, s)).toThrow(/k needs 9 elements/);
    expect(() => attentionForward(v, v, v, { ...s, scale: NaN })).toThrow(/scale must be a finite number/);
    const f = attentionForward(v, v, v, s);
    expect(() => attentionBackward(v, v, v, f.out, f.lse.subarray(1), f.out, s)).toThrow(/lse must have 4 elements/);
  });
});

describe('embedding reference', () => {
  it('gathers rows and sums repeated tokens exactly', () => {
    const V = 3;
    const C = 2;
    const table = new Float32Array([0, 1, 10, 11, 20, 21]);
    expect(Array.from(embeddingForward(new Uint32Array([2, 0, 2]), table, V, C))).toEqual([20, 21, 0, 1, 20, 21]);
    const dOut = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(embeddingBackward(new Int32Array([2, 0, 2]), dOut, V, C))).toEqual([3, 4, 0, 0, 6, 8]);
    const ids = new Uint32Array(50).fill(1);
    const d = new Float32Array(100).fill(0.1);
    const g = embeddingBackward(ids, d, V, C);
    expect(g[2]).toBe(Math.fround(50 * Math.fround(0.1)));
  });

  it('the gradient matches central differences', () => {
    const rng = new Rng(2);
    const V = 5;
    const C = 3;
    const ids = [4, 0, 4, 2, 4];
    const table = rand(rng, V * C);
    const G = rand(rng, ids.length * C);
    const loss = () => dot(embeddingForward(ids, Float32Array.from(table), V, C), G);
    const num = numericGrad(loss, table, 1e-2); // forward is linear, so a large step is exact up to f32 rounding
    expectClose(embeddingBackward(ids, Float32Array.from(G), V, C), num, 'dTable', 1e-4);
  });

  it('the CSR index groups positions by token in order', () => {
    const { rowStart, positions } = embeddingBackwardIndex([3, 1, 3, 0, 3], 5);
    expect(Array.from(rowStart)).toEqual([0, 1, 2, 2, 5, 5]);
    expect(Array.from(positions)).toEqual([3, 1, 0, 2, 4]);
  });

  it('an id outside [0, V) is a DataError naming position, id and V', () => {
    const t = new Float32Array(6);
    expect(() => embeddingForward([0, 3], t, 3, 2)).toThrow(DataError);
    expect(() => embeddingForward([0, 3], t, 3, 2)).toThrow(/id 3 at position 1 is outside \[0, V\) with V = 3/);
    expect(() => embeddingBackward([-1], new Float32Array(2), 3, 2)).toThrow(/id -1 at position 0/);
    expect(() => embeddingBackwardIndex([0, 1.5], 3)).toThrow(DataError);
    expect(() => embeddingForward([0], new Float32Array(5), 3, 2)).toThrow(ShapeError);
  });
});
