// Kernel cases of pooling: max, average (both divisors) and global average, forward and backward in one case, on
// the break-it geometries (odd sizes, stride 2 'same' on odd sizes, overlapping and rectangular windows, asymmetric
// padding, 1x1 images, channels not a multiple of 4, batch 1, heavy ties, one moderately large image, and
// non-overlapping windows with padding and with rows and columns no window covers).
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { runOneShot } from '../kernels/common.js';
import {
  avgPool2d,
  avgPool2dBackward,
  globalAvgPool,
  globalAvgPoolBackward,
  maxPool2d,
  maxPool2dBackward,
  prepareMaxPool2dBackward,
} from '../kernels/pool2d.js';
import * as ref from '../reference/index.js';
import type { AvgPool2dOptions, Pool2dOptions } from '../reference/pool2d.js';
import { reductionTolerance } from '../util/allclose.js';
import type { Rng } from '../util/rng.js';
import { EXACT, kcase, type KernelCase } from './harness.js';

type Nhwc = [number, number, number, number];

/** A pooling geometry: its tag, the input [N, H, W, C], the options, and whether the input is full of ties. */
export interface PoolShape {
  tag: string;
  input: Nhwc;
  options: Pool2dOptions;
  ties?: boolean;
}

export const POOL_SHAPES: readonly PoolShape[] = [
  { tag: 'k2 valid 5x7 N2 C3', input: [2, 5, 7, 3], options: { kernel: 2 } },
  { tag: 'k3 s2 same 7x5 N1 C2', input: [1, 7, 5, 2], options: { kernel: 3, stride: 2, padding: 'same' } },
  { tag: 'k3 s2 pad1 9x9 N2 C5', input: [2, 9, 9, 5], options: { kernel: 3, stride: 2, padding: 1 } },
  { tag: 'k2 s1 valid 6x6 N2 C4', input: [2, 6, 6, 4], options: { kernel: 2, stride: 1 } },
  { tag: 'k2x3 s1x2 same 5x6 N1 C5', input: [1, 5, 6, 5], options: { kernel: [2, 3], stride: [1, 2], padding: 'same' } },
  { tag: 'k3x2 s1 pad[0,2,1,0] 4x5 N1 C3', input: [1, 4, 5, 3], options: { kernel: [3, 2], stride: 1, padding: [0, 2, 1, 0] } },
  { tag: 'k1 1x1 N3 C7', input: [3, 1, 1, 7], options: { kernel: 1 } },
  { tag: 'k2 same 1x1 N1 C2', input: [1, 1, 1, 2], options: { kernel: 2, padding: 'same' } },
  { tag: 'k3 s2 same 7x7 N2 C3 ties', input: [2, 7, 7, 3], options: { kernel: 3, stride: 2, padding: 'same' }, ties: true },
  { tag: 'k3 s2 same 33x31 N4 C19', input: [4, 33, 31, 19], options: { kernel: 3, stride: 2, padding: 'same' } },
  // Windows that do not overlap (each writes its own cell of dx): padding before the first window, rows and
  // columns no window covers (between windows and past the last), ties within a window.
  { tag: 'k2 pad1 7x6 N2 C3', input: [2, 7, 6, 3], options: { kernel: 2, padding: 1 } },
  { tag: 'k2x3 s3x4 pad[1,0,2,1] 9x11 N1 C4', input: [1, 9, 11, 4], options: { kernel: [2, 3], stride: [3, 4], padding: [1, 0, 2, 1] } },
  { tag: 'k2 6x6 N2 C3 ties', input: [2, 6, 6, 3], options: { kernel: 2 }, ties: true },
];

/** Global average pooling's inputs: odd, 1x1, non-square, and a larger one. */
export const GLOBAL_POOL_SHAPES: readonly Nhwc[] = [
  [2, 5, 7, 3],
  [1, 1, 1, 7],
  [3, 9, 4, 5],
  [2, 16, 16, 19],
];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Random inputs in [-1, 1), or (ties) values drawn from {-1, 0, 1}, so most windows hold several maxima. */
const poolInput = (rng: Rng, n: number, ties = false) => (ties ? Float32Array.from({ length: n }, () => rng.int(3) - 1) : rng.floats(n));

/** Upload `data` of `shape`. */
const up = (rt: Runtime, data: Float32Array, shape: readonly number[], label: string) => Tensor.from(rt, data, shape, label);

function maxCase(s: PoolShape, seed: number): KernelCase {
  return kcase('pool2d', `max ${s.tag}`, seed, async (rt, rng, check) => {
    const g = ref.poolGeometry(s.input, s.options);
    const x = poolInput(rng, size(s.input), s.ties);
    const dy = rng.floats(g.N * g.OH * g.OW * g.C);
    const X = up(rt, x, s.input, 'x');
    const DY = up(rt, dy, [g.N, g.OH, g.OW, g.C], 'dy');
    // A window's maximum is one of its values, copied: exact. dx adds at most ceil(K / stride) per axis dy values.
    const overlap = Math.ceil(g.KH / g.strideH) * Math.ceil(g.KW / g.strideW);
    // dx starts as NaN, as a reused buffer holds stale values: every element must be written, zeros included.
    const DX = up(rt, new Float32Array(size(s.input)).fill(NaN), s.input, 'dx');
    const dxOver = async () => (await runOneShot(rt, { dx: DX }, ({ dx }) => [() => prepareMaxPool2dBackward(rt, { x: X, dy: DY, dx }, s.options)])).dx;
    return check([X, DY, DX], async () => [
      ['y', await maxPool2d(rt, X, s.options), ref.maxPool2d(x, g), EXACT],
      ['dx', await maxPool2dBackward(rt, X, DY, s.options), ref.maxPool2dBackward(x, dy, g), reductionTolerance(overlap)],
      ['dx over stale values', await dxOver(), ref.maxPool2dBackward(x, dy, g), reductionTolerance(overlap)],
    ]);
  });
}

function avgCase(s: PoolShape, countIncludePad: boolean, seed: number): KernelCase {
  const tag = `avg ${s.tag}${countIncludePad ? ' include pad' : ''}`;
  return kcase('pool2d', tag, seed, async (rt, rng, check) => {
    const options: AvgPool2dOptions = { ...s.options, countIncludePad };
    const g = ref.poolGeometry(s.input, options);
    const x = poolInput(rng, size(s.input), s.ties);
    const dy = rng.floats(g.N * g.OH * g.OW * g.C);
    const X = up(rt, x, s.input, 'x');
    const DY = up(rt, dy, [g.N, g.OH, g.OW, g.C], 'dy');
    const tol = reductionTolerance(g.KH * g.KW);
    return check([X, DY], async () => [
      ['y', await avgPool2d(rt, X, options), ref.avgPool2d(x, g, options), tol],
      ['dx', await avgPool2dBackward(rt, DY, s.input, options), ref.avgPool2dBackward(dy, g, options), tol],
    ]);
  });
}

function globalCase(shape: Nhwc, seed: number): KernelCase {
  const [N, H, W, C] = shape;
  return kcase('pool2d', `global ${H}x${W} N${N} C${C}`, seed, async (rt, rng, check) => {
    const x = rng.floats(size(shape));
    const dy = rng.floats(N * C);
    const X = up(rt, x, shape, 'x');
    const DY = up(rt, dy, [N, C], 'dy');
    return check([X, DY], async () => [
      ['y', await globalAvgPool(rt, X), ref.globalAvgPool(x, shape), reductionTolerance(H * W)],
      ['dx', await globalAvgPoolBackward(rt, DY, shape), ref.globalAvgPoolBackward(dy, shape), reductionTolerance(1)],
    ]);
  });
}

/** Every pooling case: max and average (both divisors) on each geometry, then global average pooling. */
export function poolCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 8100;
  for (const s of POOL_SHAPES) {
    cases.push(maxCase(s, ++seed));
    for (const includePad of [false, true]) cases.push(avgCase(s, includePad, ++seed));
  }
  for (const shape of GLOBAL_POOL_SHAPES) cases.push(globalCase(shape, ++seed));
  return cases;
}
