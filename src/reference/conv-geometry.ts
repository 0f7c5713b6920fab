// Output size and padding of a 2-D convolution or pooling window over an NHWC input. Shared by the conv and pooling
// references, kernels and layers so that every one of them agrees on what 'same' means.
import { OptionError, ShapeError } from '../core/errors.js';

/** 'valid' (no padding), 'same' (out = ceil(in / stride)), one pad for every side, [vertical, horizontal], or [top, bottom, left, right]. */
export type Padding = 'valid' | 'same' | number | [number, number] | [top: number, bottom: number, left: number, right: number];

/** Every size a convolution kernel needs: input, window, stride, dilation, the resolved padding and the output size. */
export interface Conv2dGeometry {
  N: number;
  H: number;
  W: number;
  C: number;
  KH: number;
  KW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  OH: number;
  OW: number;
}

/** Stride, padding and dilation of a convolution or pooling window; stride and dilation default to 1, padding to 'valid'. */
export interface ConvGeometryOptions {
  stride?: number | [number, number];
  padding?: Padding;
  dilation?: number | [number, number];
}

function positiveIntegerPair(name: string, v: number | [number, number] | undefined): [number, number] {
  const pair: unknown[] = v === undefined ? [1, 1] : Array.isArray(v) ? v : [v, v];
  if (pair.length !== 2 || !pair.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 1)) {
    throw new OptionError(`conv ${name} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return pair as [number, number];
}

function checkDims(what: string, names: string[], dims: readonly number[]) {
  if (dims.length !== names.length || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(`conv ${what} must be ${names.length} positive integers [${names.join(', ')}], got [${dims.join(', ')}]`);
  }
}

function samePad(size: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0);
  const first = Math.floor(total / 2);
  return [first, total - first];
}

function explicitPads(padding: Padding): [number, number, number, number] {
  let pads: unknown[] | undefined;
  if (typeof padding === 'number') pads = [padding, padding, padding, padding];
  else if (Array.isArray(padding) && padding.length === 2) pads = [padding[0], padding[0], padding[1], padding[1]];
  else if (Array.isArray(padding) && padding.length === 4) pads = padding;
  if (!pads || !pads.every((p) => typeof p === 'number' && Number.isInteger(p) && p >= 0)) {
    throw new OptionError(
      `conv padding must be 'valid', 'same', a non-negative integer, [vertical, horizontal] or [top, bottom, left, right], got ${JSON.stringify(padding)}`,
    );
  }
  return pads as [number, number, number, number];
}

/**
 * 'same' as TensorFlow and PyTorch define it: out = ceil(in / stride); total pad = max((out-1)*stride + (k-1)*dilation + 1 - in, 0),
 * top/left = floor(total/2), the rest bottom/right.
 */
export function convGeometry(input: [number, number, number, number], kernel: [number, number], options: ConvGeometryOptions = {}): Conv2dGeometry {
  checkDims('input', ['N', 'H', 'W', 'C'], input);
  checkDims('kernel', ['KH', 'KW'], kernel);
  const [N, H, W, C] = input;
  const [KH, KW] = kernel;
  const [strideH, strideW] = positiveIntegerPair('stride', options.stride);
  const [dilationH, dilationW] = positiveIntegerPair('dilation', options.dilation);
  const padding = options.padding ?? 'valid';
  let pads: [number, number, number, number];
  if (padding === 'valid') pads = [0, 0, 0, 0];
  else if (padding === 'same') pads = [...samePad(H, KH, strideH, dilationH), ...samePad(W, KW, strideW, dilationW)];
  else pads = explicitPads(padding);
  const [padTop, padBottom, padLeft, padRight] = pads;
  const spanH = (KH - 1) * dilationH + 1;
  const spanW = (KW - 1) * dilationW + 1;
  const paddedH = H + padTop + padBottom;
  const paddedW = W + padLeft + padRight;
  if (spanH > paddedH || spanW > paddedW) {
    throw new ShapeError(
      `conv kernel ${KH}x${KW} (dilated span ${spanH}x${spanW}) is larger than the padded input ${paddedH}x${paddedW}; expected a span of at most the padded size`,
    );
  }
  const OH = Math.floor((paddedH - spanH) / strideH) + 1;
  const OW = Math.floor((paddedW - spanW) / strideW) + 1;
  return { N, H, W, C, KH, KW, strideH, strideW, dilationH, dilationW, padTop, padBottom, padLeft, padRight, OH, OW };
}
