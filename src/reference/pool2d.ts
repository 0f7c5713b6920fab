// CPU reference for shaders/pool2d.wgsl, from the definition of pooling on NHWC images, in float64.
// A window of output pixel (oh, ow) covers input rows oh * strideH - padTop + [0, KH) and columns
// ow * strideW - padLeft + [0, KW); padded positions are outside the image and never read.
//   max: y = the largest in-image value of the window; the backward routes dy to the FIRST maximal position in
//        window order (rows top to bottom, each row left to right), as PyTorch's CPU kernel does.
//   avg: y = (sum of the in-image values) / divisor, divisor = the count of in-image positions (countIncludePad
//        false, the default) or KH * KW (true: padded positions count as zeros, PyTorch's default).
//   global average: [N, H, W, C] -> [N, C], the mean over H * W.
import type { Activation } from '../core/activations.js';
import { OptionError } from '../core/errors.js';
import { activateDerivativeFromOutput } from './activation.js';
import { convGeometry, type Conv2dGeometry, type Padding } from './conv-geometry.js';

/** Window, stride and padding of a 2-D pooling. */
export interface Pool2dOptions {
  /** Window [KH, KW] (or one number for both). */
  kernel: number | [number, number];
  /** Default: the window (non-overlapping windows). */
  stride?: number | [number, number];
  /** Default 'valid'. */
  padding?: Padding;
}

/** Average pooling options. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Divide by KH * KW (padded positions count as zeros) instead of by the in-image count; default false. */
  countIncludePad?: boolean;
}

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);

/**
 * The geometry of a pooling window on an NHWC input, checked: the window a positive integer pair, and no padding
 * side as wide as the window (so no window lies wholly in the padding, where max and the in-image mean are undefined).
 */
export function poolGeometry(input: readonly [number, number, number, number], options: Pool2dOptions): Conv2dGeometry {
  const what = 'pool2d';
  const k = options?.kernel;
  const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (!(ok(k) || (Array.isArray(k) && k.length === 2 && k.every(ok)))) {
    throw new OptionError(`${what}: kernel must be a positive integer or a [KH, KW] pair of them, got ${JSON.stringify(k)}`);
  }
  const [KH, KW] = pair(k);
  const g = convGeometry([input[0], input[1], input[2], input[3]], [KH, KW], { stride: options.stride ?? [KH, KW], padding: options.padding ?? 'valid' });
  const sides: [string, number, number][] = [
    ['top', g.padTop, KH],
    ['bottom', g.padBottom, KH],
    ['left', g.padLeft, KW],
    ['right', g.padRight, KW],
  ];
  for (const [side, pad, kk] of sides) {
    if (pad >= kk)
      throw new OptionError(`${what}: ${side} padding ${pad} must be smaller than the window (${kk}), or a window could lie wholly in the padding`);
  }
  return g;
}

/** Whether `countIncludePad` is absent or a boolean; its value (default false). */
export function countIncludePadOf(what: string, options: { countIncludePad?: boolean }): boolean {
  const v = options.countIncludePad;
  if (v !== undefined && typeof v !== 'boolean') throw new OptionError(`${what}: countIncludePad must be true or false, got ${JSON.stringify(v)}`);
  return v ?? false;
}

/** Visit each output element: its flat index, and the in-image window bounds [h0, h1) x [w0, w1) with the NHWC base. */
function forEachWindow(g: Conv2dGeometry, visit: (o: number, n: number, c: number, h0: number, h1: number, w0: number, w1: number) => void): void {
  const { N, H, W, C, OH, OW } = g;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * g.strideH - g.padTop;
      const [h0, h1] = [Math.max(hs, 0), Math.min(hs + g.KH, H)];
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * g.strideW - g.padLeft;
        const [w0, w1] = [Math.max(ws, 0), Math.min(ws + g.KW, W)];
        for (let c = 0; c < C; c++) visit(((n * OH + oh) * OW + ow) * C + c, n, c, h0, h1, w0, w1);
      }
    }
  }
}

/** Flat NHWC index of the window's first maximal element (NaN counts as maximal, as in PyTorch). */
function argmax(x: ArrayLike<number>, g: Conv2dGeometry, n: number, c: number, h0: number, h1: number, w0: number, w1: number): number {
  const at = (h: number, w: number) => ((n * g.H + h) * g.W + w) * g.C + c;
  let best = at(h0, w0);
  for (let h = h0; h < h1; h++) {
    for (let w = w0; w < w1; w++) {
      const v = x[at(h, w)]!;
      if (v > x[best]! || (Number.isNaN(v) && !Number.isNaN(x[best]!))) best = at(h, w);
    }
  }
  return best;
}

/** Max pooling: y [N, OH, OW, C]. */
export function maxPool2d(x: ArrayLike<number>, g: Conv2dGeometry): Float64Array {
  const y = new Float64Array(g.N * g.OH * g.OW * g.C);
  forEachWindow(g, (o, n, c, h0, h1, w0, w1) => (y[o] = x[argmax(x, g, n, c, h0, h1, w0, w1)]!));
  return y;
}

/** An activation whose output is the pooled x, backpropagated with the pooling (its derivative from its output). */
export interface PoolGate {
  activation: Activation;
  /** Leaky ReLU's negative slope; default 0.01. */
  slope?: number;
}

/**
 * Max pooling's dx [N, H, W, C]: each dy goes to its window's first maximal element; overlapping windows add.
 * With `gate`, x is that activation's output and dx the gradient with respect to its input: each element of the
 * pooling's dx times act'(x) (taken from the output), zeros included, as the two backward steps one after the other.
 */
export function maxPool2dBackward(x: ArrayLike<number>, dy: ArrayLike<number>, g: Conv2dGeometry, gate?: PoolGate): Float64Array {
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  forEachWindow(g, (o, n, c, h0, h1, w0, w1) => (dx[argmax(x, g, n, c, h0, h1, w0, w1)]! += dy[o]!));
  if (gate) for (let i = 0; i < dx.length; i++) dx[i]! *= activateDerivativeFromOutput(gate.activation, x[i]!, gate.slope);
  return dx;
}

const divisor = (g: Conv2dGeometry, includePad: boolean, h0: number, h1: number, w0: number, w1: number) => (includePad ? g.KH * g.KW : (h1 - h0) * (w1 - w0));

/** Average pooling: y [N, OH, OW, C]. */
export function avgPool2d(x: ArrayLike<number>, g: Conv2dGeometry, options: { countIncludePad?: boolean } = {}): Float64Array {
  const includePad = countIncludePadOf('avgPool2d', options);
  const y = new Float64Array(g.N * g.OH * g.OW * g.C);
  forEachWindow(g, (o, n, c, h0, h1, w0, w1) => {
    let s = 0;
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += x[((n * g.H + h) * g.W + w) * g.C + c]!;
    y[o] = s / divisor(g, includePad, h0, h1, w0, w1);
  });
  return y;
}

/** Average pooling's dx [N, H, W, C]: each dy spread evenly over its window's in-image positions. */
export function avgPool2dBackward(dy: ArrayLike<number>, g: Conv2dGeometry, options: { countIncludePad?: boolean } = {}): Float64Array {
  const includePad = countIncludePadOf('avgPool2dBackward', options);
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  forEachWindow(g, (o, n, c, h0, h1, w0, w1) => {
    const share = dy[o]! / divisor(g, includePad, h0, h1, w0, w1);
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) dx[((n * g.H + h) * g.W + w) * g.C + c]! += share;
  });
  return dx;
}

/** Global average pooling: [N, H, W, C] -> [N, C], the mean over the H * W pixels. */
export function globalAvgPool(x: ArrayLike<number>, [N, H, W, C]: readonly [number, number, number, number]): Float64Array {
  const y = new Float64Array(N * C);
  for (let n = 0; n < N; n++) for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) y[n * C + c]! += x[(n * H * W + p) * C + c]!;
  return y.map((v) => v / (H * W));
}

/** Global average pooling's dx [N, H, W, C] = dy [N, C] / (H * W) at every pixel. */
export function globalAvgPoolBackward(dy: ArrayLike<number>, [N, H, W, C]: readonly [number, number, number, number]): Float64Array {
  const dx = new Float64Array(N * H * W * C);
  for (let n = 0; n < N; n++) for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) dx[(n * H * W + p) * C + c] = dy[n * C + c]! / (H * W);
  return dx;
}
