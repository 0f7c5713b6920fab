// Layers of image models (NHWC activations): convolution, pooling and flatten descriptors, plain data like
// those of layers.ts; their shapes are inferred and checked when the graph is built (graph-shapes.ts).
import type { Activation } from '../core/activations.js';
import { GraphError } from '../core/errors.js';
import type { ConvGeometryOptions, Padding } from '../reference/conv-geometry.js';
import { activation, type Init, type Layer } from './layers.js';

/** A 2-D convolution layer over NHWC images (made by conv2dLayer). */
export interface Conv2dLayer {
  kind: 'conv2d';
  filters: number;
  kernel: [number, number];
  stride: number | [number, number];
  padding: Padding;
  dilation: number | [number, number];
  init: Init;
  bias: boolean;
  name?: string;
}
/** A max or average pooling layer over NHWC images. */
export interface Pool2dLayer {
  kind: 'pool2d';
  mode: 'max' | 'avg';
  kernel: [number, number];
  stride?: number | [number, number];
  padding: Padding;
  countIncludePad: boolean;
  name?: string;
}
/** Averages each channel over the whole image. */
export interface GlobalAvgPoolLayer {
  kind: 'globalAvgPool';
  name?: string;
}
/** Reads an image as a row of H x W x C features (a view, no copy). */
export interface FlattenLayer {
  kind: 'flatten';
  name?: string;
}
/** Any layer that works on images. */
export type ImageLayer = Conv2dLayer | Pool2dLayer | GlobalAvgPoolLayer | FlattenLayer;

function kernelPair(what: string, k: number | [number, number]): [number, number] {
  const pair = Array.isArray(k) ? k : [k, k];
  if (pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new GraphError(`${what}: kernel must be a positive integer or a [KH, KW] pair of them, got ${JSON.stringify(k)}`);
  }
  return [pair[0]!, pair[1]!];
}

/** A 2-D convolution over NHWC images, weight [filters, inChannels, KH, KW] (PyTorch's Conv2d layout). */
export function conv2d(
  filters: number,
  kernel: number | [number, number],
  options: ConvGeometryOptions & { activation?: Activation; slope?: number; init?: Init; bias?: boolean; name?: string } = {},
): Layer[] {
  if (!Number.isInteger(filters) || filters < 1) throw new GraphError(`conv2d: filters must be a positive integer, got ${filters}`);
  const act = options.activation;
  const init = options.init ?? (act === 'relu' || act === 'leaky_relu' || act === 'gelu' ? 'he' : 'xavier');
  if (typeof init === 'object' && !(init.normal > 0 && Number.isFinite(init.normal))) {
    throw new GraphError(`conv2d: init.normal must be a positive standard deviation, got ${init.normal}`);
  }
  const layer: Conv2dLayer = {
    kind: 'conv2d',
    filters,
    kernel: kernelPair('conv2d', kernel),
    stride: options.stride ?? 1,
    padding: options.padding ?? 'valid',
    dilation: options.dilation ?? 1,
    init,
    bias: options.bias ?? true,
    name: options.name,
  };
  return act && act !== 'identity' ? [layer, activation(act, { slope: options.slope })] : [layer];
}

type PoolOptions = { stride?: number | [number, number]; padding?: Padding; name?: string };

/** Max pooling over windows of each channel (stride defaults to the window). */
export function maxPool2d(kernel: number | [number, number], options: PoolOptions = {}): Pool2dLayer {
  const k = kernelPair('maxPool2d', kernel);
  return { kind: 'pool2d', mode: 'max', kernel: k, stride: options.stride, padding: options.padding ?? 'valid', countIncludePad: false, name: options.name };
}

/** Average pooling; the divisor counts only in-image positions unless `countIncludePad`. */
export function avgPool2d(kernel: number | [number, number], options: PoolOptions & { countIncludePad?: boolean } = {}): Pool2dLayer {
  const k = kernelPair('avgPool2d', kernel);
  const cip = options.countIncludePad ?? false;
  if (typeof cip !== 'boolean') throw new GraphError(`avgPool2d: countIncludePad must be true or false, got ${JSON.stringify(cip)}`);
  return { kind: 'pool2d', mode: 'avg', kernel: k, stride: options.stride, padding: options.padding ?? 'valid', countIncludePad: cip, name: options.name };
}

/** The mean of each channel over the image: [H, W, C] -> [C]. */
export function globalAvgPool(options: { name?: string } = {}): GlobalAvgPoolLayer {
  return { kind: 'globalAvgPool', name: options.name };
}

/** [H, W, C] -> [H*W*C] in NHWC order: a view of the same memory, no dispatch. */
export function flatten(options: { name?: string } = {}): FlattenLayer {
  return { kind: 'flatten', name: options.name };
}
