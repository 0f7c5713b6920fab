// Row softmax over the last axis (shaders/softmax.wgsl), with an optional causal mask and a logit scale, and its
// backward from the forward's output. Both are one dispatch; the mask and scale are run-time uniforms.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { softmaxMask, type SoftmaxMask } from '../reference/softmax.js';
import { bind, expectShape, expectShapeIfGiven, matrixDims, rowLayout, runOneShot, type RowLayout, type Unmade } from './common.js';
import { ceilDiv, gridFor } from './grid.js';

/** Invocations per row of the workgroup layout, rows per workgroup of the invocation layout (a power of two). */
const WG = 64;

/** Up to this many columns the 'auto' layout gives a row one invocation on a GPU; beyond it, a workgroup. */
export const SOFTMAX_ROW_MAX_COLUMNS = 64;

/**
 * The same bound on CPU adapters, where a one-row workgroup pays a barrier per reduction step: on lavapipe 4096
 * causal rows of 256 took 4.4 ms a row per invocation against 26 ms a workgroup per row (forward and backward
 * alike); at 1024 columns the two were within 2x either way.
 */
export const SOFTMAX_SOFTWARE_ROW_MAX_COLUMNS = 1024;

/** How the softmax's passes map rows to invocations. */
export type SoftmaxLayout = RowLayout;

/** The mask, scale and layout of a row softmax. */
export interface SoftmaxOptions extends SoftmaxMask {
  /**
   * 'invocation' gives a row one invocation and a workgroup 64 rows, with no barrier; 'workgroup' gives a row a
   * workgroup that combines through workgroup memory. Default 'auto': 'invocation' up to SOFTMAX_ROW_MAX_COLUMNS
   * columns on GPUs and SOFTMAX_SOFTWARE_ROW_MAX_COLUMNS on CPU adapters, 'workgroup' beyond.
   */
  layout?: SoftmaxLayout | 'auto';
}

/** Input and output of the softmax forward. */
export interface SoftmaxTensors {
  /** [R, N] logits */
  x: Tensor;
  /** [R, N], overwritten with softmax(scale * x) per row, 0 at masked entries */
  y: Tensor;
}

/** Inputs and output of the softmax backward. */
export interface SoftmaxBackwardTensors {
  /** [R, N], the forward's output */
  y: Tensor;
  /** [R, N], the gradient of y */
  dy: Tensor;
  /** [R, N], overwritten with scale * y * (dy - rowsum(dy * y)), 0 at masked entries */
  dx: Tensor;
}

/** The layout of a softmax of N columns on this runtime (OptionError on an unknown one). */
function softmaxLayout(rt: Runtime, what: string, N: number, options: SoftmaxOptions): SoftmaxLayout {
  return rowLayout(rt, what, N, options.layout, { gpu: SOFTMAX_ROW_MAX_COLUMNS, software: SOFTMAX_SOFTWARE_ROW_MAX_COLUMNS });
}

interface Checked {
  R: number;
  N: number;
  params: { R: number; N: number; T: number; causal: number; scale: number };
  layout: SoftmaxLayout;
}

/** Every option check and the params uniform of x [R, N]. */
function checkOptions(rt: Runtime, what: string, R: number, N: number, options: SoftmaxOptions): Checked {
  const { scale, T } = softmaxMask(what, R, N, options);
  return { R, N, params: { R, N, T: Math.max(T, 1), causal: T > 0 ? 1 : 0, scale }, layout: softmaxLayout(rt, what, N, options) };
}

/** Every check of the forward; y is checked when given. */
function checkForward(rt: Runtime, t: Unmade<SoftmaxTensors, 'y'>, options: SoftmaxOptions): Checked {
  const what = 'softmax forward';
  const [R, N] = matrixDims(what, 'x', t.x);
  expectShapeIfGiven(what, 'y', t.y, [R, N]);
  return checkOptions(rt, what, R, N, options);
}

/** Every check of the backward; dx is checked when given. */
function checkBackward(rt: Runtime, t: Unmade<SoftmaxBackwardTensors, 'dx'>, options: SoftmaxOptions): Checked {
  const what = 'softmax backward';
  const [R, N] = matrixDims(what, 'y', t.y);
  expectShape(what, 'dy', t.dy, [R, N]);
  expectShapeIfGiven(what, 'dx', t.dx, [R, N]);
  return checkOptions(rt, what, R, N, options);
}

/** Prepare one pass of the softmax in its layout. */
async function preparePass(rt: Runtime, pass: 'forward' | 'backward', c: Checked, tensors: Record<string, Tensor>): Promise<Dispatch> {
  const rows = c.layout === 'invocation';
  const kernel = await rt.kernel('softmax', { entry: rows ? `${pass}_rows` : pass, constants: { WG } });
  const mask = c.params.causal ? ` causal T=${c.params.T}` : '';
  return rt.prepare(kernel, {
    ...bind(tensors),
    uniforms: { params: c.params },
    workgroups: rows ? gridFor(ceilDiv(c.R, WG)) : gridFor(c.R),
    label: `softmax ${pass} ${c.R}x${c.N}${mask}`,
  });
}

/** Prepare y = softmax(scale * x) over the last axis, with the causal mask when asked. */
export async function prepareSoftmaxForward(rt: Runtime, t: SoftmaxTensors, options: SoftmaxOptions = {}): Promise<Dispatch> {
  return preparePass(rt, 'forward', checkForward(rt, t, options), { x: t.x, y: t.y });
}

/** Prepare dx = scale * y * (dy - rowsum(dy * y)), the softmax's input gradient from its output y. */
export async function prepareSoftmaxBackward(rt: Runtime, t: SoftmaxBackwardTensors, options: SoftmaxOptions = {}): Promise<Dispatch> {
  return preparePass(rt, 'backward', checkBackward(rt, t, options), { probs: t.y, dy: t.dy, dx: t.dx });
}

/** Row softmax on the GPU; allocates y [R, N]. */
export async function softmax(rt: Runtime, x: Tensor, options: SoftmaxOptions = {}): Promise<Tensor> {
  const { R, N } = checkForward(rt, { x }, options);
  const out = await runOneShot(rt, { y: { shape: [R, N], label: `softmax(${x.label})` } }, (o) => [() => prepareSoftmaxForward(rt, { x, ...o }, options)]);
  return out.y;
}

/** The row softmax's input gradient on the GPU from its output y and dy; allocates dx [R, N]. */
export async function softmaxBackward(rt: Runtime, y: Tensor, dy: Tensor, options: SoftmaxOptions = {}): Promise<Tensor> {
  const { R, N } = checkBackward(rt, { y, dy }, options);
  const out = await runOneShot(rt, { dx: { shape: [R, N], label: `d${dy.label}` } }, (o) => [() => prepareSoftmaxBackward(rt, { y, dy, ...o }, options)]);
  return out.dx;
}
