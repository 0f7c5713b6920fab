import { ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import type { Conv2dGeometry } from '../reference/conv-geometry.js';
import { countIncludePadOf, poolGeometry, type AvgPool2dOptions, type Pool2dOptions } from '../reference/pool2d.js';
import { bind, dims, expectShape, expectShapeIfGiven, runOneShot } from './common.js';
import { ceilDiv, gridFor } from './grid.js';

export type { AvgPool2dOptions, Pool2dOptions } from '../reference/pool2d.js';

/** Invocations per workgroup: one per output (forward) or input (backward) element. */
const WG = 64;

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

/** Prepare one entry of shaders/pool2d.wgsl over geometry `g`, once every tensor's shape is checked. */
async function preparePool(rt: Runtime, entry: Entry, g: Conv2dGeometry, includePad: boolean, tensors: Record<string, Tensor>): Promise<Dispatch> {
  const forward = entry.endsWith('forward');
  // Windows that do not overlap let each window write its own cell of dx: one invocation per window, not per pixel.
  const cells = entry === 'max_backward' && g.strideH >= g.KH && g.strideW >= g.KW;
  const shaderEntry = cells ? 'max_backward_cells' : entry;
  const kernel = await rt.kernel(
    'pool2d',
    forward ? { entry: 'forward', constants: { WG, MAX: entry === 'max_forward' ? 1 : 0 } } : { entry: shaderEntry, constants: { WG } },
  );
  const { N, H, W, C, KH, KW, OH, OW } = g;
  const count = forward || cells ? N * OH * OW * C : N * H * W * C;
  const params = { N, H, W, C, KH, KW, stride_h: g.strideH, stride_w: g.strideW, pad_top: g.padTop, pad_left: g.padLeft, OH, OW };
  return rt.prepare(kernel, {
    ...bind(tensors),
    uniforms: { params: { ...params, count_include_pad: includePad ? 1 : 0 } },
    workgroups: gridFor(ceilDiv(count, WG)),
    label: `pool2d ${shaderEntry} ${dims([N, H, W, C])} window ${KH}x${KW}`,
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
  return preparePool(rt, 'max_forward', g, false, { x: t.x, y: t.y });
}

/** Prepare max pooling's dx from x and dy: each dy goes to its window's first maximal element (window order). */
export async function prepareMaxPool2dBackward(rt: Runtime, t: { x: Tensor; dy: Tensor; dx: Tensor }, options: Pool2dOptions): Promise<Dispatch> {
  const g = checkBackward('maxPool2dBackward', t.x.shape, t.dy, options, t.dx);
  return preparePool(rt, 'max_backward', g, false, { x: t.x, dy: t.dy, dx: t.dx });
}

/** Prepare average pooling (divisor: the in-image count, or the window size with countIncludePad). */
export async function prepareAvgPool2d(rt: Runtime, t: { x: Tensor; y: Tensor }, options: AvgPool2dOptions): Promise<Dispatch> {
  const g = checkForward('avgPool2d', t.x, options, t.y);
  return preparePool(rt, 'avg_forward', g, countIncludePadOf('avgPool2d', options), { x: t.x, y: t.y });
}

/** Prepare average pooling's dx (shaped as the forward input) from dy. */
export async function prepareAvgPool2dBackward(rt: Runtime, t: { dy: Tensor; dx: Tensor }, options: AvgPool2dOptions): Promise<Dispatch> {
  const g = checkBackward('avgPool2dBackward', t.dx.shape, t.dy, options);
  return preparePool(rt, 'avg_backward', g, countIncludePadOf('avgPool2dBackward', options), { dy: t.dy, dx: t.dx });
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
  return preparePool(rt, 'avg_forward', g, false, { x: t.x, y: t.y });
}

/** Prepare global average pooling's dx [N, H, W, C] = dy [N, C] / (H * W). */
export async function prepareGlobalAvgPoolBackward(rt: Runtime, t: { dy: Tensor; dx: Tensor }): Promise<Dispatch> {
  const g = globalGeometry('globalAvgPoolBackward', 'dx', t.dx.shape, t.dy);
  return preparePool(rt, 'avg_backward', g, false, { dy: t.dy, dx: t.dx });
}

/** Max pooling of x [N, H, W, C] on the GPU; allocates y [N, OH, OW, C]. */
export async function maxPool2d(rt: Runtime, x: Tensor, options: Pool2dOptions): Promise<Tensor> {
  const g = checkForward('maxPool2d', x, options);
  return (await runOneShot(rt, { y: { shape: outShape(g), label: 'maxpool y' } }, ({ y }) => [() => prepareMaxPool2d(rt, { x, y }, options)])).y;
}

/** Max pooling's input gradient on the GPU from x and dy; allocates dx shaped as x. */
export async function maxPool2dBackward(rt: Runtime, x: Tensor, dy: Tensor, options: Pool2dOptions): Promise<Tensor> {
  checkBackward('maxPool2dBackward', x.shape, dy, options);
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
