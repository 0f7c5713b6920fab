// attentionProbs (the T x T weights a lab draws) against the attention reference: P times V is the reference's
// output, log P + lse is the scaled score, rows sum to 1, a causal P is 0 above the diagonal; bad indices are
// ShapeErrors naming what was expected.
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/core/errors.js';
import { attentionProbs } from '../src/reference/attention-probs.js';
import { attentionForward64, type AttentionShape } from '../src/reference/attention.js';
import { Rng } from '../src/util/rng.js';

/** q, k, v as column blocks of one fused [B*T, 3C] buffer, as the QKV projection writes them. */
function fused(s: AttentionShape, seed: number) {
  const C = s.H * s.D;
  const data = Float32Array.from(new Rng(seed).floats(s.B * s.T * 3 * C), (v) => 2 * v);
  const [q, k, v] = [0, C, 2 * C].map((offset) => ({ data, offset, stride: 3 * C }));
  return { q: q!, k: k!, v: v!, C };
}

describe('attentionProbs', () => {
  for (const s of [
    { B: 2, T: 7, H: 3, D: 4, causal: true },
    { B: 1, T: 5, H: 2, D: 3, causal: false },
    { B: 1, T: 1, H: 1, D: 1, causal: true },
  ] satisfies AttentionShape[]) {
    it(`matches the reference's output and log-sum-exp (B ${s.B}, T ${s.T}, H ${s.H}, D ${s.D}, ${s.causal ? 'causal' : 'full'})`, () => {
      const { q, k, v, C } = fused(s, 7);
      const ref = attentionForward64(q, k, v, s);
      const scale = 1 / Math.sqrt(s.D);
      for (let b = 0; b < s.B; b++) {
        for (let h = 0; h < s.H; h++) {
          const P = attentionProbs(q, k, s, b, h);
          expect(P).toHaveLength(s.T * s.T);
          for (let i = 0; i < s.T; i++) {
            const row = P.subarray(i * s.T, (i + 1) * s.T);
            expect(row.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 12);
            for (let j = 0; j < s.T; j++) {
              if (s.causal && j > i) {
                expect(row[j]).toBe(0);
                continue;
              }
              expect(row[j]).toBeGreaterThan(0);
              let dot = 0;
              for (let d = 0; d < s.D; d++)
                dot += q.data[q.offset + (b * s.T + i) * q.stride + h * s.D + d]! * k.data[k.offset + (b * s.T + j) * k.stride + h * s.D + d]!;
              expect(Math.log(row[j]!) + ref.lse[(b * s.H + h) * s.T + i]!).toBeCloseTo(scale * dot, 10);
            }
            for (let d = 0; d < s.D; d++) {
              let pv = 0;
              for (let j = 0; j < s.T; j++) pv += row[j]! * v.data[v.offset + (b * s.T + j) * v.stride + h * s.D + d]!;
              expect(pv).toBeCloseTo(ref.out[(b * s.T + i) * C + h * s.D + d]!, 10);
            }
          }
        }
      }
    });
  }

  it('uses the shape scale when given', () => {
    const s: AttentionShape = { B: 1, T: 4, H: 1, D: 2, causal: true, scale: 0 };
    const { q, k } = fused(s, 3);
    // Scale 0: every visible key is equally likely.
    expect(Array.from(attentionProbs(q, k, s, 0, 0).subarray(12, 16))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('names a head, batch index or view that does not fit', () => {
    const s: AttentionShape = { B: 1, T: 4, H: 2, D: 2, causal: true };
    const { q, k } = fused(s, 1);
    expect(() => attentionProbs(q, k, s, 0, 2)).toThrow(ShapeError);
    expect(() => attentionProbs(q, k, s, 0, 2)).toThrow(/head h must be an integer in \[0, 2\), got 2/);
    expect(() => attentionProbs(q, k, s, 1, 0)).toThrow(/batch index b must be an integer in \[0, 1\), got 1/);
    expect(() => attentionProbs({ ...q, data: q.data.subarray(0, 10) }, k, s, 0, 0)).toThrow(/q needs \d+ elements/);
  });
});
