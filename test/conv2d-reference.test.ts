// The conv2d CPU reference and the shared geometry: 'same' / 'valid' / explicit padding tables, typed errors for bad
// windows, hand-computed forward values, and every gradient against float64 central differences.
import { describe, expect, it } from 'vitest';
import { OptionError, ShapeError, reference as ref, Rng } from '../src/index.js';
import { convGeometry, type ConvGeometryOptions } from '../src/reference/conv-geometry.js';
import { numericGrad } from './helpers/numeric-grad.js';

const rand = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.uniform(-2, 2));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-6) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]: got ${got[i]} want ${want[i]}`).toBeLessThan(tol * (1 + Math.abs(want[i]!)));
  }
}

describe('convGeometry', () => {
  // [H, K, stride, dilation] -> [OH, padTop, padBottom] for 'same', as TensorFlow and PyTorch define it.
  const same: [number, number, number, number, [number, number, number]][] = [
    [5, 3, 1, 1, [5, 1, 1]],
    [5, 3, 2, 1, [3, 1, 1]],
    [6, 3, 2, 1, [3, 0, 1]], // odd total pad: the extra row goes to the bottom
    [7, 4, 1, 1, [7, 1, 2]],
    [7, 3, 2, 1, [4, 1, 1]],
    [5, 3, 1, 2, [5, 2, 2]],
    [1, 5, 1, 1, [1, 2, 2]],
    [28, 5, 1, 1, [28, 2, 2]],
    [8, 1, 3, 1, [3, 0, 0]],
    [4, 2, 4, 1, [1, 0, 0]],
  ];
  for (const [H, K, s, d, [OH, top, bottom]] of same) {
    it(`'same' H=${H} k=${K} stride=${s} dilation=${d}: out ${OH}, pad ${top}/${bottom}`, () => {
      const g = convGeometry([1, H, H + 2, 1], [K, 1], { stride: [s, 1], dilation: [d, 1], padding: 'same' });
      expect([g.OH, g.padTop, g.padBottom]).toEqual([OH, top, bottom]);
      expect(g.OH).toBe(Math.ceil(H / s));
      expect([g.OW, g.padLeft, g.padRight]).toEqual([H + 2, 0, 0]); // a 1-wide window needs no padding
    });
  }

  it("'valid', explicit and per-side padding, stride and dilation pairs", () => {
    const cases: [[number, number], [number, number], ConvGeometryOptions, Partial<Record<string, number>>][] = [
      [[28, 28], [5, 5], {}, { OH: 24, OW: 24, padTop: 0, padLeft: 0 }],
      [[14, 14], [5, 5], { padding: 'valid' }, { OH: 10, OW: 10 }],
      [[7, 7], [3, 3], { stride: 2 }, { OH: 3, OW: 3 }],
      [[5, 6], [3, 3], { padding: 1 }, { OH: 5, OW: 6, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1 }],
      [[5, 6], [3, 3], { padding: [2, 0] }, { OH: 7, OW: 4, padTop: 2, padBottom: 2, padLeft: 0, padRight: 0 }],
      [[5, 6], [2, 3], { padding: [1, 2, 0, 3], stride: [2, 3] }, { OH: 4, OW: 3, padTop: 1, padBottom: 2, padLeft: 0, padRight: 3 }],
      [[9, 9], [3, 3], { dilation: 2 }, { OH: 5, OW: 5, dilationH: 2, dilationW: 2 }],
      [[9, 10], [3, 2], { dilation: [2, 3], stride: [1, 2] }, { OH: 5, OW: 4 }],
    ];
    for (const [[H, W], k, o, want] of cases) {
      const g = convGeometry([2, H, W, 3], k, o);
      for (const [key, v] of Object.entries(want)) expect(g[key as keyof typeof g], `${H}x${W} k${k} ${JSON.stringify(o)} ${key}`).toBe(v);
    }
  });

  it('rejects bad windows with typed errors naming the value', () => {
    const bad: [() => unknown, typeof ShapeError | typeof OptionError, RegExp][] = [
      [() => convGeometry([1, 4, 4, 1], [5, 3]), ShapeError, /5x3.*larger than the padded input 4x4/],
      [() => convGeometry([1, 4, 4, 1], [3, 3], { dilation: 2 }), ShapeError, /dilated span 5x5/],
      [() => convGeometry([1, 4, 4, 1], [3, 3], { stride: 0 }), OptionError, /stride.*got 0/],
      [() => convGeometry([1, 4, 4, 1], [3, 3], { stride: 1.5 }), OptionError, /stride.*got 1.5/],
      [() => convGeometry([1, 4, 4, 1], [3, 3], { dilation: [1, -1] }), OptionError, /dilation.*\[1,-1\]/],
      [() => convGeometry([1, 4, 4, 1], [3, 3], { padding: -1 }), OptionError, /padding.*got -1/],
      [() => convGeometry([1, 4, 4, 1], [3, 3], { padding: [1, 2, 3] as never }), OptionError, /padding.*\[1,2,3\]/],
      [() => convGeometry([1, 4, 4, 1], [3, 3], { padding: 'full' as never }), OptionError, /padding.*"full"/],
      [() => convGeometry([0, 4, 4, 1], [3, 3]), ShapeError, /input.*\[0, 4, 4, 1\]/],
      [() => convGeometry([1, 4, 4, 1], [0, 3]), ShapeError, /kernel.*\[0, 3\]/],
    ];
    for (const [f, type, message] of bad) {
      expect(f).toThrow(type);
      expect(f).toThrow(message);
    }
  });
});

describe('reference conv2d forward', () => {
  it('matches hand-computed sums: a 2x2 box filter over 1..9, with bias and ReLU, valid and zero-padded', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // 1x3x3x1
    const w = [1, 1, 1, 1];
    expect([...ref.conv2dForward(x, w, convGeometry([1, 3, 3, 1], [2, 2]), 1, { bias: [-13] })]).toEqual([-1, 3, 11, 15]);
    expect([...ref.conv2dForward(x, w, convGeometry([1, 3, 3, 1], [2, 2]), 1, { bias: [-13], activation: 'relu' })]).toEqual([0, 3, 11, 15]);
    // pad 1 on every side, stride 2: taps at (-1,-1), (-1,1), (1,-1), (1,1).
    expect([...ref.conv2dForward(x, w, convGeometry([1, 3, 3, 1], [2, 2], { padding: 1, stride: 2 }), 1)]).toEqual([1, 5, 11, 28]);
    // dilation 2 over the 3x3: the four corners.
    expect([...ref.conv2dForward(x, w, convGeometry([1, 3, 3, 1], [2, 2], { dilation: 2 }), 1)]).toEqual([20]);
  });

  it('weights are [OC, C, KH, KW] and channels are innermost in x and y', () => {
    // 1x1x2x2 input (two pixels of two channels), a 1x2 kernel, two output channels.
    const x = [1, 10, 100, 1000]; // pixel 0: c0=1, c1=10; pixel 1: c0=100, c1=1000
    const w = [1, 2, 3, 4, 0, 0, 0, 1]; // oc0: c0 taps [1, 2], c1 taps [3, 4]; oc1: only c1's second tap
    const y = ref.conv2dForward(x, w, convGeometry([1, 1, 2, 2], [1, 2]), 2);
    expect([...y]).toEqual([1 * 1 + 100 * 2 + 10 * 3 + 1000 * 4, 1000]);
  });

  it('a 1x1 convolution is the matmul of [N*H*W, C] by w^T', () => {
    const rng = new Rng(3);
    const [N, H, W, C, OC] = [2, 3, 5, 7, 4];
    const x = Float32Array.from(rand(rng, N * H * W * C));
    const w = Float32Array.from(rand(rng, OC * C));
    const y = ref.conv2dForward(x, w, convGeometry([N, H, W, C], [1, 1]), OC);
    expectClose(y, ref.matmul(x, w, N * H * W, OC, C, { transB: true }), 'y', 1e-6);
  });
});

describe('reference conv2d backward against float64 central differences', () => {
  const shapes: [string, [number, number, number, number], [number, number], number, ConvGeometryOptions][] = [
    ["stride 2 'same' on odd sizes", [1, 5, 7, 2], [3, 3], 3, { stride: 2, padding: 'same' }],
    ['dilation 2 with padding', [2, 6, 5, 3], [3, 2], 2, { dilation: 2, padding: 1 }],
    ['rectangular kernel, per-side padding, stride pair', [1, 4, 7, 2], [2, 3], 3, { stride: [1, 2], padding: [1, 0, 2, 1] }],
    ['1x1 filter on a 1x1 image', [3, 1, 1, 5], [1, 1], 2, {}],
    ["even kernel 'same' (asymmetric pad)", [1, 4, 4, 1], [4, 2], 2, { padding: 'same' }],
  ];
  for (const [name, input, kernel, OC, options] of shapes) {
    it(name, () => {
      const g = convGeometry(input, kernel, options);
      const rng = new Rng(input.reduce((a, b) => a * 31 + b, OC));
      const x = rand(
        rng,
        input.reduce((a, b) => a * b, 1),
      );
      const w = rand(rng, OC * g.C * g.KH * g.KW);
      const b = rand(rng, OC);
      const r = rand(rng, g.N * g.OH * g.OW * OC);
      const loss = () => dot(ref.conv2dForward(x, w, g, OC, { bias: b }), r);
      const got = ref.conv2dBackward(x, w, r, g, OC);
      expectClose(got.dx, numericGrad(loss, x), 'dx');
      expectClose(got.dw, numericGrad(loss, w), 'dw');
      expectClose(got.db, numericGrad(loss, b), 'db');
      // Padding taps are zero: every dx entry is touched, so a zero row would mean a missed pixel (stride 1 or 'same').
      expect(got.dx.some((v) => v !== 0)).toBe(true);
    });
  }
});
