import type { Activation } from '../core/activations.js';
import { ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import type { Conv2dGeometry } from '../reference/conv-geometry.js';
import { countIncludePadOf, poolGeometry, type AvgPool2dOptions, type Pool2dOptions } from '../reference/pool2d.js';
import { gateFromOutputCode } from './activation.js';
import { bind, dims, expectShape, expectShapeIfGiven, runOneShot } from './common.js';
import { ceilDiv, gridFor } from './grid.js';

export type { AvgPool2dOptions, Pool2dOptions } from '../reference/pool2d.js';

/** Max pooling backward options: with `gateActivation`, x is that activation's output and dx is taken through it. */
export interface MaxPool2dBackwardOptions extends Pool2dOptions {
  /**
   * The activation whose output is the pooled x (its derivative must be a function of its output: not GELU, nor
   * Leaky ReLU with a slope <= 0): dx is then the gradient with respect to that activation's input, the separate
   * activation backward folded into this dispatch.
   */
  gateActivation?: Activation;
  /** Leaky ReLU's negative slope for the gate; default 0.01. */
  slope?: number;
}

/** Invocations per workgroup: one per pixel (output pixels forward, input or output pixels backward). */
const WG = 64;

/**
 * Channels per invocation, at most: an invocation loops over its pixel's channels, in chunks no wider than this so
 * that images with many channels and few pixels still spread over many invocations.
 */
const MAX_CPT = 16;

type Nhwc = [number, number, number, number];

/** The [N, H, W, C] of an image tensor (or shape) named `name`, or a ShapeError. */
function nhwc(what: string, name: string, shape: readonly number[]): Nhwc {
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(`${what}: '${name}' must be a non-empty NHWC image [N, H, W, C], got ${dims(shape)}`);
  }
  return [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
}

const outShape = (g: Conv2dGeometry): Nhwc => [g.N, g.OH, g.OW, g.C];

/** An entry of shaders/pool2d.wgsl: the forward pass serves both reductions through its MAX override. */
type Entry = 'max_forward' | 'avg_forward' | 'max_backward' | 'avg_backward';

/** A max pooling backward's gate: the activation's code and slope, or null without one; an OptionError if unusable. */
function gateOf(options: MaxPool2dBackwardOptions): { code: number; slope: number; name: Activation } | null {
  if (options.gateActivation === undefined) return null;
  return { ...gateFromOutputCode('maxPool2dBackward', options.gateActivation, options.slope), name: options.gateActivation };
}

/** Whether 2x2 windows with stride 2 and no padding tile the image exactly (shaders/pool2d.wgsl's TILE2). */
const isTile2 = (g: Conv2dGeometry): boolean =>
  g.KH === 2 && g.KW === 2 && g.strideH === 2 && g.strideW === 2 && g.padTop === 0 && g.padLeft === 0 && g.H === 2 * g.OH && g.W === 2 * g.OW;

/** The invocation grid of `pixels` pixels by C channels: [pixel blocks, channel chunks, pixel blocks past 65535]. */
function pixelGrid(pixels: number, C: number): { cpt: number; workgroups: [number, number, number] } {
  const chunks = ceilDiv(C, MAX_CPT);
  const [x, z] = gridFor(ceilDiv(pixels, WG));
  return { cpt: ceilDiv(C, chunks), workgroups: [x, chunks, z] };
}

/** Prepare one entry of shaders/pool2d.wgsl over geometry `g`, once every tensor's shape and option is checked. */
async function preparePool(
  rt: Runtime,
  entry: Entry,
  g: Conv2dGeometry,
  tensors: Record<string, Tensor>,
  extra: { includePad?: boolean; gate?: { code: number; slope: number; name: Activation } | null } = {},
): Promise<Dispatch> {
  const forward = entry.endsWith('forward');
  // Windows that do not overlap let each window write its own cell of dx: one invocation per window, not per pixel.
  const cells = entry === 'max_backward' && g.strideH >= g.KH && g.strideW >= g.KW;
  const shaderEntry = cells ? 'max_backward_cells' : entry;
  const gate = extra.gate ?? null;
  // 2x2 windows, stride 2, tiling the image exactly: the forward and the cells take their unrolled form.
  const tile2 = { TILE2: (forward || cells) && isTile2(g) };
  const kernel = await rt.kernel(
    'pool2d',
    forward
      ? { entry: 'forward', constants: { WG, MAX: entry === 'max_forward' ? 1 : 0, ...tile2 } }
      : { entry: shaderEntry, constants: { WG, ...tile2, ...(gate ? { GATE: true, GATE_ACT: gate.code } : {}) } },
  );
  const { N, H, W, C, KH, KW, OH, OW } = g;
  const { cpt, workgroups } = pixelGrid(forward || cells ? N * OH * OW : N * H * W, C);
  const params = { N, H, W, C, KH, KW, stride_h: g.strideH, stride_w: g.strideW, pad_top: g.padTop, pad_left: g.padLeft, OH, OW };
  return rt.prepare(kernel, {
    ...bind(tensors),
    uniforms: { params: { ...params, count_include_pad: extra.includePad ? 1 : 0, cpt, slope: gate?.slope ?? 0 } },
    workgroups,
    label: `pool2d ${shaderEntry}${gate ? `*${gate.name}'` : ''} ${dims([N, H, W, C])} window ${KH}x${KW}`,
  });
}

/** Geometry of a pooling forward pass from x [N, H, W, C]; y [N, OH, OW, C] is checked when given. */
function checkForward(what: string, x: Tensor, options: Pool2dOptions, y?: Tensor): Conv2dGeometry {
  const g = poolGeometry(nhwc(what, 'x', x.shape), options);
  expectShapeIfGiven(what, 'y', y, outShape(g));
  return g;
}

/** Geometry of a pooling backward pass from the input's shape; dy must be [N, OH, OW, C], dx (when given) the input's. */
function checkBackward(what: string, inputShape: readonly number[], dy: Tensor, options: Pool2dOptions, dx?: Tensor): Conv2dGeometry {
  const g = poolGeometry(nhwc(what, 'input', inputShape), options);
  expectShape(what, 'dy', dy, outShape(g));
  expectShapeIfGiven(what, 'dx', dx, inputShape);
  return g;
}

/** Prepare max pooling y = max over each window of x (padded positions never win). */
export async function prepareMaxPool2d(rt: Runtime, t: { x: Tensor; y: Tensor }, options: Pool2dOptions): Promise<Dispatch> {
  const g = checkForward('maxPool2d', t.x, options, t.y);
  return preparePool(rt, 'max_forward', g, { x: t.x, pooled: t.y });
}

/**
 * Prepare max pooling's dx from x and dy: each dy goes to its window's first maximal element (window order); with
 * `gateActivation`, times that activation's derivative at x (x being its output).
 */
export async function prepareMaxPool2dBackward(rt: Runtime, t: { x: Tensor; dy: Tensor; dx: Tensor }, options: MaxPool2dBackwardOptions): Promise<Dispatch> {
  const g = checkBackward('maxPool2dBackward', t.x.shape, t.dy, options, t.dx);
  return preparePool(rt, 'max_backward', g, { x: t.x, dy: t.dy, dx: t.dx }, { gate: gateOf(options) });
}

/** Prepare average pooling (divisor: the in-image count, or the window size with countIncludePad). */
export async function prepareAvgPool2d(rt: Runtime, t: { x: Tensor; y: Tensor }, options: AvgPool2dOptions): Promise<Dispatch> {
  const g = checkForward('avgPool2d', t.x, options, t.y);
  return preparePool(rt, 'avg_forward', g, { x: t.x, pooled: t.y }, { includePad: countIncludePadOf('avgPool2d', options) });
}

/** Prepare average pooling's dx (shaped as the forward input) from dy. */
export async function prepareAvgPool2dBackward(rt: Runtime, t: { dy: Tensor; dx: Tensor }, options: AvgPool2dOptions): Promise<Dispatch> {
  const g = checkBackward('avgPool2dBackward', t.dx.shape, t.dy, options);
  return preparePool(rt, 'avg_backward', g, { dy: t.dy, dx: t.dx }, { includePad: countIncludePadOf('avgPool2dBackward', options) });
}

/** Global average pooling's geometry: the whole image is the window; y and dy are [N, C]. */
function globalGeometry(what: string, name: string, shape: readonly number[], nc?: Tensor): Conv2dGeometry {
  const [N, H, W, C] = nhwc(what, name, shape);
  expectShapeIfGiven(what, name === 'x' ? 'y' : 'dy', nc, [N, C]);
  return poolGeometry([N, H, W, C], { kernel: [H, W] });
}

/** Prepare global average pooling: y [N, C] = the mean of x [N, H, W, C] over its pixels. */
export async function prepareGlobalAvgPool(rt: Runtime, t: { x: Tensor; y: Tensor }): Promise<Dispatch> {
  const g = globalGeometry('globalAvgPool', 'x', t.x.shape, t.y);
  return preparePool(rt, 'avg_forward', g, { x: t.x, pooled: t.y });
}

/** Prepare global average pooling's dx [N, H, W, C] = dy [N, C] / (H * W). */
export async function prepareGlobalAvgPoolBackward(rt: Runtime, t: { dy: Tensor; dx: Tensor }): Promise<Dispatch> {
  const g = globalGeometry('globalAvgPoolBackward', 'dx', t.dx.shape, t.dy);
  return preparePool(rt, 'avg_backward', g, { dy: t.dy, dx: t.dx });
}

/** Max pooling of x [N, H, W, C] on the GPU; allocates y [N, OH, OW, C]. */
export async function maxPool2d(rt: Runtime, x: Tensor, options: Pool2dOptions): Promise<Tensor> {
  const g = checkForward('maxPool2d', x, options);
  return (await runOneShot(rt, { y: { shape: outShape(g), label: 'maxpool y' } }, ({ y }) => [() => prepareMaxPool2d(rt, { x, y }, options)])).y;
}

/** Max pooling's input gradient on the GPU from x and dy (through `gateActivation` when given); allocates dx shaped as x. */
export async function maxPool2dBackward(rt: Runtime, x: Tensor, dy: Tensor, options: MaxPool2dBackwardOptions): Promise<Tensor> {
  checkBackward('maxPool2dBackward', x.shape, dy, options);
  gateOf(options);
  const spec = { dx: { shape: x.shape, label: 'maxpool dx' } };
  return (await runOneShot(rt, spec, ({ dx }) => [() => prepareMaxPool2dBackward(rt, { x, dy, dx }, options)])).dx;
}

/** Average pooling of x [N, H, W, C] on the GPU; allocates y [N, OH, OW, C]. */
export async function avgPool2d(rt: Runtime, x: Tensor, options: AvgPool2dOptions): Promise<Tensor> {
  const g = checkForward('avgPool2d', x, options);
  countIncludePadOf('avgPool2d', options);
  return (await runOneShot(rt, { y: { shape: outShape(g), label: 'avgpool y' } }, ({ y }) => [() => prepareAvgPool2d(rt, { x, y }, options)])).y;
}

/** Average pooling's input gradient on the GPU from dy; allocates dx of shape `inputShape` [N, H, W, C]. */
export async function avgPool2dBackward(rt: Runtime, dy: Tensor, inputShape: readonly number[], options: AvgPool2dOptions): Promise<Tensor> {
  checkBackward('avgPool2dBackward', inputShape, dy, options);
  countIncludePadOf('avgPool2dBackward', options);
  const spec = { dx: { shape: inputShape, label: 'avgpool dx' } };
  return (await runOneShot(rt, spec, ({ dx }) => [() => prepareAvgPool2dBackward(rt, { dy, dx }, options)])).dx;
}

/** Global average pooling of x [N, H, W, C] on the GPU; allocates y [N, C]. */
export async function globalAvgPool(rt: Runtime, x: Tensor): Promise<Tensor> {
  globalGeometry('globalAvgPool', 'x', x.shape);
  const spec = { y: { shape: [x.shape[0]!, x.shape[3]!], label: 'global avg y' } };
  return (await runOneShot(rt, spec, ({ y }) => [() => prepareGlobalAvgPool(rt, { x, y })])).y;
}

/** Global average pooling's input gradient on the GPU; allocates dx of shape `inputShape` [N, H, W, C]. */
export async function globalAvgPoolBackward(rt: Runtime, dy: Tensor, inputShape: readonly number[]): Promise<Tensor> {
  globalGeometry('globalAvgPoolBackward', 'dx', inputShape, dy);
  const spec = { dx: { shape: inputShape, label: 'global avg dx' } };
  return (await runOneShot(rt, spec, ({ dx }) => [() => prepareGlobalAvgPoolBackward(rt, { dy, dx })])).dx;
}
