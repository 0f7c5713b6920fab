// The CPU reference of the loss, reduction, normalization and telemetry kernels: hand-computed values, PyTorch's
// conventions, and every backward against float64 central differences.
import { describe, expect, it } from 'vitest';
import { reference as ref, Rng } from '../src/index.js';
import { numericGrad } from './helpers/numeric-grad.js';

const rand = (rng: Rng, n: number, lo = -2, hi = 2) => Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-6) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]: got ${got[i]} want ${want[i]}`).toBeLessThan(tol * (1 + Math.abs(want[i]!)));
  }
}

describe('reference softmax cross-entropy', () => {
  it('matches hand-computed values; ties go to the lowest index', () => {
    const r = ref.softmaxCrossEntropy([0, 0, 1, 2, 3], [0, 2], 1, 2, 1);
    expect(r.loss[0]).toBeCloseTo(Math.LN2, 14);
    expect([...r.dlogits.subarray(0, 2)]).toEqual([-0.5, 0.5]);
    expect(r.correct[0]).toBe(1); // argmax of [0, 0] is 0
    const s = ref.softmaxCrossEntropy([1, 2, 3], [2], 1, 3, 0.5);
    expect(s.loss[0]).toBeCloseTo(Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3, 14);
    expect(s.correct[0]).toBe(1);
    expect(s.dlogits[2]).toBeCloseTo(0.5 * (Math.E ** 3 / (Math.E + Math.E ** 2 + Math.E ** 3) - 1), 14);
  });

  it('stays finite for logits of +-1e4', () => {
    const r = ref.softmaxCrossEntropy([1e4, 0, -1e4, -1e4 + 1], [1, 0], 2, 2);
    expect(r.loss[0]).toBe(1e4);
    expect(r.loss[1]).toBeCloseTo(Math.log(1 + Math.E), 10);
    for (const v of [...r.dlogits, ...r.loss]) expect(Number.isFinite(v)).toBe(true);
  });

  it('a label outside [0, C) gives NaN loss, correct 0 and gradScale * softmax', () => {
    const r = ref.softmaxCrossEntropy([0, 0, 0, 0], [2, -1], 2, 2, 2);
    expect(Number.isNaN(r.loss[0]!) && Number.isNaN(r.loss[1]!)).toBe(true);
    expect([...r.correct]).toEqual([0, 0]);
    expect([...r.dlogits]).toEqual([1, 1, 1, 1]);
  });

  it('dlogits equals float64 central differences of gradScale * sum(loss)', () => {
    const rng = new Rng(21);
    const [B, C, scale] = [3, 5, 1 / 3];
    const z = rand(rng, B * C, -3, 3);
    const y = [4, 0, 2];
    const g = numericGrad(() => scale * sum(ref.softmaxCrossEntropy(z, y, B, C).loss), z);
    expectClose(ref.softmaxCrossEntropy(z, y, B, C, scale).dlogits, g, 'dlogits (seed 21)');
  });
});

describe('reference MSE', () => {
  it('matches hand-computed values and PyTorch MSELoss(reduction=mean) as the mean over rows', () => {
    const r = ref.mse([1, 2], [0, 0], 1, 2, 1);
    expect(r.loss[0]).toBe(2.5);
    expect([...r.dpred]).toEqual([1, 2]);
    const rng = new Rng(22);
    const [B, D] = [3, 4];
    const p = rand(rng, B * D);
    const t = rand(rng, B * D);
    let total = 0;
    for (let k = 0; k < B * D; k++) total += (p[k]! - t[k]!) ** 2;
    expect(sum(ref.mse(p, t, B, D).loss) / B).toBeCloseTo(total / (B * D), 14);
  });

  it('dpred equals float64 central differences of gradScale * sum(loss)', () => {
    const rng = new Rng(23);
    const [B, D] = [3, 4];
    const p = rand(rng, B * D);
    const t = rand(rng, B * D);
    const g = numericGrad(() => 0.25 * sum(ref.mse(p, t, B, D).loss), p);
    expectClose(ref.mse(p, t, B, D, 0.25).dpred, g, 'dpred (seed 23)');
  });
});

describe('reference sum_rows and accumulate', () => {
  it('sum_rows is the column sum, and the gradient of a bias broadcast over rows', () => {
    expect([...ref.sumRows([1, 2, 3, 4, 5, 6], 2, 3)]).toEqual([5, 7, 9]);
    const rng = new Rng(24);
    const [B, N] = [4, 3];
    const x = rand(rng, B * N);
    const dy = rand(rng, B * N);
    const bias = rand(rng, N);
    const loss = () => {
      let s = 0;
      for (let i = 0; i < B; i++) for (let j = 0; j < N; j++) s += dy[i * N + j]! * (x[i * N + j]! + bias[j]!);
      return s;
    };
    expectClose(ref.sumRows(dy, B, N), numericGrad(loss, bias), 'dbias (seed 24)');
  });

  it('accumulate adds into a copy of out', () => {
    const out = Float32Array.of(1, 2);
    expect([...ref.accumulate(out, Float32Array.of(0.5, -3))]).toEqual([1.5, -1]);
    expect([...out]).toEqual([1, 2]);
  });
});

describe('reference LayerNorm', () => {
  it('matches hand-computed values (biased variance, eps inside the root)', () => {
    const r = ref.layerNormForward([1, 2, 3], [1, 1, 1], [0, 0, 0], 1, 3, 1e-5);
    const rstd = 1 / Math.sqrt(2 / 3 + 1e-5);
    expect(r.mean[0]).toBe(2);
    expect(r.rstd[0]).toBeCloseTo(rstd, 12);
    expectClose(r.y, [-rstd, 0, rstd], 'y');
    // D = 1: var 0, y = beta.
    expect(ref.layerNormForward([7], [3], [0.25], 1, 1).y[0]).toBe(0.25);
  });

  it('backward equals float64 central differences of sum(dy * y)', () => {
    const rng = new Rng(25);
    const [B, D] = [3, 5];
    const [x, gamma, beta, dy] = [rand(rng, B * D), rand(rng, D, 0.5, 2), rand(rng, D), rand(rng, B * D)];
    const loss = () => dot(dy, ref.layerNormForward(x, gamma, beta, B, D).y);
    const g = ref.layerNormBackward(x, gamma, dy, B, D);
    expectClose(g.dx, numericGrad(loss, x), 'dx (seed 25)');
    expectClose(g.dgamma, numericGrad(loss, gamma), 'dgamma (seed 25)');
    expectClose(g.dbeta, numericGrad(loss, beta), 'dbeta (seed 25)');
  });
});

describe('reference BatchNorm', () => {
  it('normalizes with the biased batch variance and updates running stats with the unbiased one', () => {
    const r = ref.batchNormTrain([1, 10, 3, 20], [1, 2], [0, 1], [0, 0], [1, 1], 2, 2, { eps: 0, momentum: 0.1 });
    expect([...r.mean]).toEqual([2, 15]);
    expectClose(r.y, [-1, -1, 1, 3], 'y');
    expectClose(r.runningMean, [0.2, 1.5], 'runningMean');
    // Column 0: biased var 1, unbiased 2; column 1: biased 25, unbiased 50.
    expectClose(r.runningVar, [0.9 + 0.2, 0.9 + 5], 'runningVar');
  });

  it('B = 1 uses the biased variance (0) for the running variance instead of dividing by zero', () => {
    const r = ref.batchNormTrain([5], [1], [0], [0], [1], 1, 1, { momentum: 0.5 });
    expect(r.y[0]).toBe(0);
    expect(r.runningVar[0]).toBe(0.5);
    expect(r.runningMean[0]).toBe(2.5);
  });

  it('eval mode uses the running statistics', () => {
    expectClose(ref.batchNormEval([3], [2], [1], [1], [4], 1, 1, 0), [3], 'y');
  });

  it('backward equals float64 central differences of sum(dy * y) through the batch statistics', () => {
    const rng = new Rng(26);
    const [B, D] = [4, 3];
    const [x, gamma, beta, dy] = [rand(rng, B * D), rand(rng, D, 0.5, 2), rand(rng, D), rand(rng, B * D)];
    const zeros = new Float64Array(D);
    const loss = () => dot(dy, ref.batchNormTrain(x, gamma, beta, zeros, zeros, B, D).y);
    const g = ref.batchNormBackward(x, gamma, dy, B, D);
    expectClose(g.dx, numericGrad(loss, x), 'dx (seed 26)');
    expectClose(g.dgamma, numericGrad(loss, gamma), 'dgamma (seed 26)');
    expectClose(g.dbeta, numericGrad(loss, beta), 'dbeta (seed 26)');
  });
});

describe('reference telemetry', () => {
  it('matches hand-computed metrics', () => {
    const m = ref.telemetry(
      [3, 4, 12, 0],
      [
        { offset: 0, length: 2 },
        { offset: 2, length: 2 },
        { offset: 4, length: 0 },
      ],
      [1, 2],
      [1, 0],
    );
    expect([...m]).toEqual([1.5, 0.5, 0, 13, 5, 0, 12, 0, 0, 0]);
    expect(ref.metricsStride(3)).toBe(10);
  });

  it('non-finite gradients and losses give NaN norms / loss, counts, and the flag', () => {
    const m = ref.telemetry(
      [1, NaN, Infinity, 2],
      [
        { offset: 0, length: 2 },
        { offset: 2, length: 2 },
        { offset: 3, length: 1 },
      ],
      [1, 1],
    );
    expect(Number.isNaN(m[1]!)).toBe(true); // no `correct`: no accuracy
    expect(m[2]).toBe(1);
    expect(Number.isNaN(m[3]!) && Number.isNaN(m[4]!) && Number.isNaN(m[6]!)).toBe(true);
    expect([m[0], m[5], m[7], m[8], m[9]]).toEqual([1, 1, 1, 2, 0]);
    const l = ref.telemetry([1], [{ offset: 0, length: 1 }], [1, -Infinity], [1, 1]);
    expect(Number.isNaN(l[0]!)).toBe(true);
    expect([l[1], l[2], l[3]]).toEqual([1, 1, 1]);
  });
});
