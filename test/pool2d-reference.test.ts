// The CPU reference of pooling: hand-computed values, the tie and padding rules, and every backward against float64
// central differences (max pooling on inputs whose window values are far apart, away from ties).
import { describe, expect, it } from 'vitest';
import { OptionError, reference as ref, Rng, ShapeError } from '../src/index.js';
import type { AvgPool2dOptions } from '../src/reference/pool2d.js';
import { numericGrad } from './helpers/numeric-grad.js';

type Shape = [number, number, number, number];

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-7) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]: got ${got[i]} want ${want[i]}`).toBeLessThan(tol * (1 + Math.abs(want[i]!)));
  }
}

/** A permutation of 0.01 * [0, n): every pair of values at least 0.01 apart, so h = 1e-6 never reorders a window. */
function distinct(rng: Rng, n: number): Float64Array {
  const v = Float64Array.from({ length: n }, (_, i) => 0.01 * (i - n / 2));
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return v;
}

// The break-it geometries: odd sizes, stride 2 'same' on odd sizes, overlapping windows, rectangular windows,
// asymmetric explicit padding, a 1x1 image, channels not a multiple of 4, batch 1.
const GEOMETRIES: [string, Shape, AvgPool2dOptions][] = [
  ['2x2 valid on 5x7', [2, 5, 7, 3], { kernel: 2 }],
  ['3x3 stride 2 same on 7x5', [1, 7, 5, 2], { kernel: 3, stride: 2, padding: 'same' }],
  ['3x3 stride 2 overlapping, padding 1', [2, 6, 5, 3], { kernel: 3, stride: 2, padding: 1 }],
  ['2x3 stride [1, 2] same', [1, 5, 6, 5], { kernel: [2, 3], stride: [1, 2], padding: 'same' }],
  ['3x2 padding [0, 2, 1, 0]', [1, 4, 5, 3], { kernel: [3, 2], stride: 1, padding: [0, 2, 1, 0] }],
  ['1x1 image, 1x1 window', [3, 1, 1, 7], { kernel: 1 }],
  ['2x2 same on 1x1 image', [1, 1, 1, 2], { kernel: 2, padding: 'same' }],
];

describe('reference pooling: hand-computed values', () => {
  // One 3x3 image, one channel: 1 2 3 / 4 5 6 / 7 8 9; 2x2 windows, stride 2, 'same' (pad 0 top/left, 1 bottom/right).
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const g = ref.poolGeometry([1, 3, 3, 1], { kernel: 2, padding: 'same' });

  it("'same' pads at the bottom and right, and max ignores the padding", () => {
    expect([g.OH, g.OW, g.padTop, g.padBottom, g.padLeft, g.padRight]).toEqual([2, 2, 0, 1, 0, 1]);
    expect([...ref.maxPool2d(x, g)]).toEqual([5, 6, 8, 9]);
    // All-negative values: a padded zero must never win.
    expect([
      ...ref.maxPool2d(
        x.map((v) => -v),
        g,
      ),
    ]).toEqual([-1, -3, -7, -9]);
  });

  it('avg divides by the in-image count by default, by the window size with countIncludePad', () => {
    expect([...ref.avgPool2d(x, g)]).toEqual([3, 4.5, 7.5, 9]);
    expect([...ref.avgPool2d(x, g, { countIncludePad: true })]).toEqual([3, 9 / 4, 15 / 4, 9 / 4]);
  });

  it('avg backward spreads dy over the in-image positions of each window', () => {
    expect([...ref.avgPool2dBackward([4, 2, 2, 1], g)]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect([...ref.avgPool2dBackward([4, 4, 4, 4], g, { countIncludePad: true })]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('global average is the mean over the pixels of each image and channel', () => {
    const xs = [1, 10, 2, 20, 3, 30, 4, 40]; // [1, 2, 2, 2]
    expect([...ref.globalAvgPool(xs, [1, 2, 2, 2])]).toEqual([2.5, 25]);
    expect([...ref.globalAvgPoolBackward([4, 8], [1, 2, 2, 2])]).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
  });

  it('ties: dy goes to the first maximal element in window order (row by row, left to right)', () => {
    // 1x2x3x1, windows 2x2 stride 1: [[7, 7, 1], [7, 0, 7]]; window 0 holds three 7s, window 1 two.
    const gt = ref.poolGeometry([1, 2, 3, 1], { kernel: 2, stride: 1 });
    const xt = [7, 7, 1, 7, 0, 7];
    expect([...ref.maxPool2d(xt, gt)]).toEqual([7, 7]);
    expect([...ref.maxPool2dBackward(xt, [1, 10], gt)]).toEqual([1, 10, 0, 0, 0, 0]);
  });
});

describe('reference pooling backward equals float64 central differences of sum(dy * y)', () => {
  for (const [name, shape, options] of GEOMETRIES) {
    it(name, () => {
      const rng = new Rng(4100 + name.length);
      const g = ref.poolGeometry(shape, options);
      const size = shape.reduce((a, b) => a * b);
      const x = distinct(rng, size);
      const dy = Float64Array.from({ length: g.N * g.OH * g.OW * g.C }, () => rng.uniform(-2, 2));
      expectClose(
        ref.maxPool2dBackward(x, dy, g),
        numericGrad(() => dot(dy, ref.maxPool2d(x, g)), x, 1e-6),
        `max ${name}`,
      );
      for (const countIncludePad of [false, true]) {
        const o = { countIncludePad };
        expectClose(
          ref.avgPool2dBackward(dy, g, o),
          numericGrad(() => dot(dy, ref.avgPool2d(x, g, o)), x),
          `avg ${name} ${countIncludePad}`,
        );
      }
      const dyg = Float64Array.from({ length: shape[0] * shape[3] }, () => rng.uniform(-2, 2));
      expectClose(
        ref.globalAvgPoolBackward(dyg, shape),
        numericGrad(() => dot(dyg, ref.globalAvgPool(x, shape)), x),
        `global ${name}`,
      );
    });
  }

  it('global average equals avg pooling with the whole image as its window', () => {
    const shape: Shape = [2, 5, 3, 3];
    const x = distinct(new Rng(4150), 90);
    expectClose(ref.globalAvgPool(x, shape), ref.avgPool2d(x, ref.poolGeometry(shape, { kernel: [5, 3] })), 'global');
  });
});

describe('reference max pooling backward through the activation that made x', () => {
  it('equals the pooling backward then the activation backward from its output, zeros included', () => {
    const rng = new Rng(4200);
    for (const [activation, slope] of [
      ['relu', undefined],
      ['leaky_relu', 0.2],
      ['sigmoid', undefined],
      ['tanh', undefined],
    ] as const) {
      const g = ref.poolGeometry([2, 5, 6, 3], { kernel: 3, stride: 2, padding: 1 });
      const x = Float32Array.from(rng.floats(2 * 5 * 6 * 3, -1, 1), (v) => ref.activate(activation, v, slope));
      const dy = Float32Array.from(rng.floats(g.N * g.OH * g.OW * g.C, -1, 1));
      const twoSteps = ref.activationBackwardFromOutput(x, Float32Array.from(ref.maxPool2dBackward(x, dy, g)), activation, slope);
      expectClose(ref.maxPool2dBackward(x, dy, g, { activation, slope }), twoSteps, activation, 1e-6);
    }
  });

  it('a ReLU gate keeps dy where the window maximum is positive and zeroes it where it is 0', () => {
    // 1x2x4x1, 2x2 windows: [[0, 3, 0, 0], [1, 2, 0, 0]]: the first window's maximum 3 passes, the second's (0) not.
    const g = ref.poolGeometry([1, 2, 4, 1], { kernel: 2 });
    expect([...ref.maxPool2dBackward([0, 3, 0, 0, 1, 2, 0, 0], [5, 7], g, { activation: 'relu' })]).toEqual([0, 5, 0, 0, 0, 0, 0, 0]);
  });
});

describe('reference pooling: bad options', () => {
  it('a padding side as wide as the window is an OptionError naming the side', () => {
    expect(() => ref.poolGeometry([1, 5, 5, 1], { kernel: 2, padding: 2 })).toThrow(OptionError);
    expect(() => ref.poolGeometry([1, 5, 5, 1], { kernel: [3, 2], padding: [0, 0, 0, 2] })).toThrow(/right padding 2 must be smaller than the window \(2\)/);
  });

  it('a window that is not a positive integer (pair) is an OptionError; one larger than the image a ShapeError', () => {
    for (const kernel of [0, 1.5, -2, [2], [2, 0], '2'] as unknown as number[])
      expect(() => ref.poolGeometry([1, 4, 4, 1], { kernel }), JSON.stringify(kernel)).toThrow(/kernel must be a positive integer/);
    expect(() => ref.poolGeometry([1, 4, 4, 1], { kernel: 5 })).toThrow(ShapeError);
  });

  it('stride defaults to the window; a bad stride or countIncludePad is an OptionError', () => {
    expect(ref.poolGeometry([1, 6, 6, 1], { kernel: 3 })).toMatchObject({ strideH: 3, strideW: 3, OH: 2, OW: 2 });
    expect(() => ref.poolGeometry([1, 6, 6, 1], { kernel: 3, stride: 0 })).toThrow(OptionError);
    const g = ref.poolGeometry([1, 2, 2, 1], { kernel: 2 });
    expect(() => ref.avgPool2d([1, 2, 3, 4], g, { countIncludePad: 1 as unknown as boolean })).toThrow(/countIncludePad must be true or false, got 1/);
  });
});
