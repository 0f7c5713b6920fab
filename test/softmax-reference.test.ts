// The row-softmax CPU reference: hand-checked rows, the causal mask, large logits, typed errors, and the backward
// against float64 central differences of sum(dy * softmax(x)).
import { describe, expect, it } from 'vitest';
import { OptionError, Rng, ShapeError } from '../src/index.js';
import { softmaxBackward, softmaxForward, type SoftmaxMask } from '../src/reference/softmax.js';
import { numericGrad } from './helpers/numeric-grad.js';

const rand = (rng: Rng, n: number, scale = 1) => Float64Array.from({ length: n }, () => scale * rng.uniform(-1, 1));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

describe('softmax reference', () => {
  it('a row of equal logits is uniform; log 2 apart gives 1/3 and 2/3; scale multiplies the logits', () => {
    expect(Array.from(softmaxForward([5, 5, 5, 5], 1, 4))).toEqual([0.25, 0.25, 0.25, 0.25]);
    const y = softmaxForward([0, Math.log(2)], 1, 2);
    expect(y[0]).toBeCloseTo(1 / 3, 14);
    expect(y[1]).toBeCloseTo(2 / 3, 14);
    const s = softmaxForward([0, Math.log(4)], 1, 2, { scale: 0.5 });
    expect(s[1]).toBeCloseTo(2 / 3, 14);
  });

  it('the causal mask: row r of each sequence sees columns j <= r % T, masked entries exactly 0', () => {
    // Two sequences of T = 3 queries over 3 keys, every logit equal: row t is uniform over t + 1 columns.
    const y = softmaxForward(new Float64Array(18), 6, 3, { causal: true });
    const third = 1 / 3;
    expect(Array.from(y)).toEqual([1, 0, 0, 0.5, 0.5, 0, third, third, third, 1, 0, 0, 0.5, 0.5, 0, third, third, third]);
    // T other than N: 4 queries per sequence over 2 columns; queries 1..3 see both.
    expect(Array.from(softmaxForward(new Float64Array(8), 4, 2, { causal: true, T: 4 }))).toEqual([1, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('logits of +-80 and a 1e4 offset stay finite and equal the small-logit softmax', () => {
    const rng = new Rng(4);
    const x = rand(rng, 3 * 7, 80);
    const y = softmaxForward(x, 3, 7);
    expect(y.every(Number.isFinite)).toBe(true);
    const shifted = softmaxForward(
      x.map((v) => v + 1e4),
      3,
      7,
    );
    for (let i = 0; i < y.length; i++) expect(Math.abs(shifted[i]! - y[i]!)).toBeLessThan(1e-9);
    for (let r = 0; r < 3; r++) expect(y.subarray(r * 7, r * 7 + 7).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  const masks: [string, number, number, SoftmaxMask][] = [
    ['1x1', 1, 1, {}],
    ['4x9', 4, 9, {}],
    ['4x9 scale 0.7', 4, 9, { scale: 0.7 }],
    ['causal 2 sequences of T=5, scale 0.4', 10, 5, { causal: true, scale: 0.4 }],
    ['causal T=3 over 6 columns', 6, 6, { causal: true, T: 3 }],
  ];
  for (const [name, R, N, mask] of masks) {
    it(`backward matches central differences of sum(dy * softmax(x)): ${name}`, () => {
      const rng = new Rng(R * 31 + N);
      const x = rand(rng, R * N, 2);
      const dy = rand(rng, R * N);
      const loss = () => dot(softmaxForward(x, R, N, mask), dy);
      const num = numericGrad(loss, x);
      const got = softmaxBackward(softmaxForward(x, R, N, mask), dy, R, N, mask);
      for (let i = 0; i < R * N; i++) expect(Math.abs(got[i]! - num[i]!), `dx[${i}]: got ${got[i]} want ${num[i]}`).toBeLessThan(1e-8);
      // Masked entries: no path from x to the loss, and exactly 0 in the analytic gradient.
      if (mask.causal) expect(got.filter((_, i) => num[i] === 0).every((v) => v === 0)).toBe(true);
    });
  }

  it('bad masks and sizes are typed errors naming what was expected', () => {
    const x = new Float64Array(12);
    expect(() => softmaxForward(x, 4, 3, { scale: NaN })).toThrow(OptionError);
    expect(() => softmaxForward(x, 4, 3, { scale: Infinity })).toThrow(/scale must be a finite number, got Infinity/);
    expect(() => softmaxForward(x, 4, 3, { T: 2 })).toThrow(/T \(queries per sequence\) applies only with causal: true/);
    expect(() => softmaxForward(x, 4, 3, { causal: true, T: 0 })).toThrow(/T \(queries per sequence\) must be a positive integer, got 0/);
    expect(() => softmaxForward(x, 4, 3, { causal: true })).toThrow(ShapeError);
    expect(() => softmaxForward(x, 4, 3, { causal: true })).toThrow(/the 4 rows must be whole sequences of T = 3 queries/);
    expect(() => softmaxForward(x, 5, 3)).toThrow(/x must hold R \* N = 15 values, got 12/);
    expect(() => softmaxBackward(x, x.subarray(1), 4, 3)).toThrow(/dy must hold R \* N = 12 values, got 11/);
  });
});
