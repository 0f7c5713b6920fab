// Kernel cases of pooling: max, average (both divisors) and global average, forward and backward in one case, on
// the break-it geometries (odd sizes, stride 2 'same' on odd sizes, overlapping and rectangular windows, asymmetric
// padding, 1x1 images, channels not a multiple of 4, batch 1, heavy ties, one moderately large image,
// non-overlapping windows with padding and with rows and columns no window covers, NaN inputs), and max pooling's
// backward through the activation before it.
import type { Activation } from '../core/activations.js';
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
  /** About one value in eight NaN: a NaN counts as its window's maximum, as in PyTorch. */
  nan?: boolean;
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
  // NaN inputs on the unrolled 2x2 form (windows tiling the image), the per-window loops and the gather.
  { tag: 'k2 4x6 N2 C3 nan', input: [2, 4, 6, 3], options: { kernel: 2 }, nan: true },
  { tag: 'k2 pad1 5x5 N1 C2 nan', input: [1, 5, 5, 2], options: { kernel: 2, padding: 1 }, nan: true },
  { tag: 'k3 s2 pad1 7x7 N1 C3 nan', input: [1, 7, 7, 3], options: { kernel: 3, stride: 2, padding: 1 }, nan: true },
];

/**
 * Max pooling backward through the activation that made x (option gateActivation): the 2x2 tiling form (with ties,
 * and an odd channel count), the per-window loops with rows and columns no window covers, and the gather (channels
 * in two chunks), under each activation whose derivative is a function of its output.
 */
export const GATED_POOL_SHAPES: readonly (PoolShape & { activation: Activation; slope?: number })[] = [
  { tag: 'k2 6x6 N2 C3 ties', input: [2, 6, 6, 3], options: { kernel: 2 }, ties: true, activation: 'relu' },
  { tag: 'k2 8x4 N3 C5', input: [3, 8, 4, 5], options: { kernel: 2 }, activation: 'relu' },
  { tag: 'k2 valid 5x7 N2 C3', input: [2, 5, 7, 3], options: { kernel: 2 }, activation: 'relu' },
  {
    tag: 'k2x3 s3x4 pad[1,0,2,1] 9x11 N1 C4',
    input: [1, 9, 11, 4],
    options: { kernel: [2, 3], stride: [3, 4], padding: [1, 0, 2, 1] },
    activation: 'leaky_relu',
    slope: 0.2,
  },
  { tag: 'k3 s2 pad1 9x9 N2 C5', input: [2, 9, 9, 5], options: { kernel: 3, stride: 2, padding: 1 }, activation: 'relu' },
  { tag: 'k3 s2 same 33x31 N4 C19', input: [4, 33, 31, 19], options: { kernel: 3, stride: 2, padding: 'same' }, activation: 'sigmoid' },
  { tag: 'k2 s1 valid 6x6 N2 C4', input: [2, 6, 6, 4], options: { kernel: 2, stride: 1 }, activation: 'tanh' },
];

/** Global average pooling's inputs: odd, 1x1, non-square, and a larger one. */
export const GLOBAL_POOL_SHAPES: readonly Nhwc[] = [
  [2, 5, 7, 3],
  [1, 1, 1, 7],
  [3, 9, 4, 5],
  [2, 16, 16, 19],
];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Random inputs in [-1, 1), or (ties) values drawn from {-1, 0, 1}, so most windows hold several maxima; with nan, some NaN. */
function poolInput(rng: Rng, n: number, s: { ties?: boolean; nan?: boolean } = {}): Float32Array {
  const x = s.ties ? Float32Array.from({ length: n }, () => rng.int(3) - 1) : rng.floats(n);
  if (s.nan) for (let i = 0; i < n; i++) if (rng.int(8) === 0) x[i] = NaN;
  return x;
}

/** Upload `data` of `shape`. */
const up = (rt: Runtime, data: Float32Array, shape: readonly number[], label: string) => Tensor.from(rt, data, shape, label);

function maxCase(s: PoolShape, seed: number): KernelCase {
  return kcase('pool2d', `max ${s.tag}`, seed, async (rt, rng, check) => {
    const g = ref.poolGeometry(s.input, s.options);
    const x = poolInput(rng, size(s.input), s);
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

function gatedMaxCase(s: (typeof GATED_POOL_SHAPES)[number], seed: number): KernelCase {
  const gate = { activation: s.activation, ...(s.slope !== undefined ? { slope: s.slope } : {}) };
  return kcase('pool2d', `max backward through ${s.activation} ${s.tag}`, seed, async (rt, rng, check) => {
    const g = ref.poolGeometry(s.input, s.options);
    // x as the activation's output: ReLU's holds many zeros (ties), the others their own ranges.
    const x = Float32Array.from(poolInput(rng, size(s.input), s), (v) => ref.activate(s.activation, v, s.slope));
    const dy = rng.floats(g.N * g.OH * g.OW * g.C);
    const X = up(rt, x, s.input, 'x');
    const DY = up(rt, dy, [g.N, g.OH, g.OW, g.C], 'dy');
    const overlap = Math.ceil(g.KH / g.strideH) * Math.ceil(g.KW / g.strideW);
    const options = { ...s.options, gateActivation: s.activation, ...(s.slope !== undefined ? { slope: s.slope } : {}) };
    return check([X, DY], async () => [
      ['dx', await maxPool2dBackward(rt, X, DY, options), ref.maxPool2dBackward(x, dy, g, gate), reductionTolerance(overlap)],
    ]);
  });
}

function avgCase(s: PoolShape, countIncludePad: boolean, seed: number): KernelCase {
  const tag = `avg ${s.tag}${countIncludePad ? ' include pad' : ''}`;
  return kcase('pool2d', tag, seed, async (rt, rng, check) => {
    const options: AvgPool2dOptions = { ...s.options, countIncludePad };
    const g = ref.poolGeometry(s.input, options);
    const x = poolInput(rng, size(s.input), s);
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

/** Every pooling case: max and average (both divisors) on each geometry, global average pooling, gated max backward. */
export function poolCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 8100;
  for (const s of POOL_SHAPES) {
    cases.push(maxCase(s, ++seed));
    for (const includePad of [false, true]) cases.push(avgCase(s, includePad, ++seed));
  }
  for (const shape of GLOBAL_POOL_SHAPES) cases.push(globalCase(shape, ++seed));
  for (const s of GATED_POOL_SHAPES) cases.push(gatedMaxCase(s, ++seed));
  return cases;
}
