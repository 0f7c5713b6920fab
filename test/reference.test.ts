// The CPU reference itself: hand-computed values, transposes, and every backward against float64
// central differences, so the GPU suites compare against something proven.
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, reference as ref, Rng } from '../src/index.js';

/** Central difference of f at x with step h, in float64. */
const centralDiff = (f: (x: number) => number, x: number, h = 1e-5) => (f(x + h) - f(x - h)) / (2 * h);

describe('reference activations', () => {
  it('match hand-computed values', () => {
    expect(ref.activate('relu', -2)).toBe(0);
    expect(ref.activate('relu', 3)).toBe(3);
    expect(ref.activate('leaky_relu', -2, 0.1)).toBeCloseTo(-0.2, 15);
    expect(ref.activate('sigmoid', 0)).toBe(0.5);
    expect(ref.activate('tanh', 0.5)).toBeCloseTo(0.46211715726000974, 15);
    // GELU (tanh form) at 1: 0.5 * (1 + tanh(sqrt(2/pi) * 1.044715)).
    expect(ref.activate('gelu', 1)).toBeCloseTo(0.8411919906082768, 12);
    expect(ref.activate('identity', -7.5)).toBe(-7.5);
  });

  for (const act of ACTIVATIONS) {
    it(`${act}: derivative equals float64 central differences`, () => {
      const rng = new Rng(77);
      for (let t = 0; t < 200; t++) {
        let x = rng.uniform(-5, 5);
        if (Math.abs(x) < 1e-3) x += 0.01; // away from the kink of ReLU-like functions
        const want = centralDiff((v) => ref.activate(act, v, 0.05), x);
        const got = ref.activateDerivative(act, x, 0.05);
        expect(Math.abs(got - want), `${act} at x=${x} (seed 77)`).toBeLessThan(1e-7 + 1e-6 * Math.abs(want));
      }
    });
  }

  it('the derivative from the output equals the derivative at the input, where it exists', () => {
    const rng = new Rng(78);
    for (const act of ACTIVATIONS.filter((a) => ref.derivativeFromOutputExists(a, 0.05))) {
      for (let t = 0; t < 200; t++) {
        const x = rng.uniform(-5, 5);
        const y = ref.activate(act, x, 0.05);
        expect(Math.abs(ref.activateDerivativeFromOutput(act, y, 0.05) - ref.activateDerivative(act, x, 0.05)), `${act} at ${x}`).toBeLessThan(1e-12);
      }
    }
    expect(ref.derivativeFromOutputExists('gelu')).toBe(false);
    expect(ref.derivativeFromOutputExists('leaky_relu', -0.5)).toBe(false);
  });

  it('activationBackward multiplies the upstream gradient', () => {
    const x = Float32Array.of(-1, 0.5, 2);
    const dy = Float32Array.of(2, 3, -1);
    const dx = ref.activationBackward(x, dy, 'relu');
    expect([...dx]).toEqual([0, 3, -1]);
  });
});

describe('reference matmul', () => {
  it('matches a hand-computed 2x3 . 3x2 product with bias and ReLU', () => {
    const a = Float32Array.of(1, 2, 3, 4, 5, 6);
    const b = Float32Array.of(7, 8, 9, 10, 11, 12);
    expect([...ref.matmul(a, b, 2, 2, 3)]).toEqual([58, 64, 139, 154]);
    const c = ref.matmul(a, b, 2, 2, 3, { bias: Float32Array.of(-100, -200), activation: 'relu' });
    expect([...c]).toEqual([0, 0, 39, 0]);
  });

  it('reads transposed operands as their transposes', () => {
    const rng = new Rng(5);
    const [M, N, K] = [4, 3, 5];
    const a = rng.floats(M * K);
    const b = rng.floats(K * N);
    const aT = new Float32Array(K * M);
    const bT = new Float32Array(N * K);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) aT[k * M + i] = a[i * K + k]!;
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bT[j * K + k] = b[k * N + j]!;
    const plain = ref.matmul(a, b, M, N, K);
    expect(ref.matmul(aT, b, M, N, K, { transA: true })).toEqual(plain);
    expect(ref.matmul(a, bT, M, N, K, { transB: true })).toEqual(plain);
    expect(ref.matmul(aT, bT, M, N, K, { transA: true, transB: true })).toEqual(plain);
  });

  it('backward equals float64 central differences of sum(dC * (A.B + bias))', () => {
    const rng = new Rng(11);
    const [M, N, K] = [3, 4, 5];
    const a = Array.from({ length: M * K }, () => rng.uniform());
    const b = Array.from({ length: K * N }, () => rng.uniform());
    const bias = Array.from({ length: N }, () => rng.uniform());
    const dc = Array.from({ length: M * N }, () => rng.uniform());
    // The loss in float64 (the reference's Float32Array output would round away the difference).
    const loss = () => {
      let s = 0;
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let acc = bias[j]!;
          for (let k = 0; k < K; k++) acc += a[i * K + k]! * b[k * N + j]!;
          s += dc[i * N + j]! * acc;
        }
      return s;
    };
    const numeric = (arr: number[]) =>
      arr.map((_, idx) =>
        centralDiff((v) => {
          const keep = arr[idx]!;
          arr[idx] = v;
          const l = loss();
          arr[idx] = keep;
          return l;
        }, arr[idx]!),
      );
    const g = ref.matmulBackward(Float32Array.from(a), Float32Array.from(b), Float32Array.from(dc), M, N, K);
    const close = (got: Float32Array, want: number[], what: string) =>
      want.forEach((w, i) => expect(Math.abs(got[i]! - w), `${what}[${i}] seed 11`).toBeLessThan(1e-5));
    close(g.da, numeric(a), 'dA');
    close(g.db, numeric(b), 'dB');
    close(g.dbias, numeric(bias), 'dBias');
  });
});

describe('reference element-wise', () => {
  it('add and scale', () => {
    expect([...ref.add(Float32Array.of(1, 2), Float32Array.of(3, -5))]).toEqual([4, -3]);
    expect([...ref.scale(Float32Array.of(1, -2), 1.5)]).toEqual([1.5, -3]);
  });
});
