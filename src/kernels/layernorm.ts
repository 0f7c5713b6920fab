import { OptionError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { bind, expectShape, expectShapeIfGiven, finiteOption, matrixDims, rowLayout, runOneShot, type RowLayout, type Unmade } from './common.js';
import { ceilDiv, gridFor } from './grid.js';
import { COL_WG_X, COL_WG_Y } from './reduce.js';

/** Default epsilon of LayerNorm and BatchNorm (PyTorch's). */
export const DEFAULT_NORM_EPS = 1e-5;

/** Invocations per row of the row-wise entries (a power of two). */
const WG = 64;

export interface NormOptions {
  /** Added to the variance inside the square root; default 1e-5 (PyTorch's). A run-time uniform. */
  eps?: number;
  /**
   * LayerNorm's row-wise passes: 'workgroup' gives a row a workgroup that reduces through workgroup memory,
   * 'invocation' gives a row one invocation and a workgroup 64 rows, with no barrier. Default 'auto':
   * 'invocation' on CPU adapters (where barriers cost more than a row's arithmetic), 'workgroup' on GPUs.
   */
  layout?: NormLayout | 'auto';
}

/** How LayerNorm's row-wise passes map rows to invocations. */
export type NormLayout = RowLayout;

/** The layout a LayerNorm's row-wise passes use on this runtime (OptionError on an unknown one). */
function normLayout(rt: Runtime, options: NormOptions): NormLayout {
  // Any width gets a row per invocation on a CPU adapter; none does on a GPU.
  return rowLayout(rt, 'layernorm', 0, options.layout, { gpu: -1, software: Infinity });
}

/** Entry and workgroup grid of a row-wise pass in a layout. */
function rowPass(layout: NormLayout, entry: 'forward' | 'backward', B: number) {
  return layout === 'invocation' ? { entry: `${entry}_rows`, workgroups: gridFor(ceilDiv(B, WG)) } : { entry, workgroups: gridFor(B) };
}

export interface LayerNormTensors {
  /** [B, D] */
  x: Tensor;
  /** [D] */
  gamma: Tensor;
  /** [D] */
  beta: Tensor;
  /** [B, D], overwritten */
  y: Tensor;
  /** [B], overwritten with each row's mean (saved for the backward pass) */
  mean: Tensor;
  /** [B], overwritten with each row's 1 / sqrt(var + eps) */
  rstd: Tensor;
}

export interface LayerNormBackwardTensors {
  /** [B, D], the forward input */
  x: Tensor;
  /** [D] */
  gamma: Tensor;
  /** [B] and [B], saved by the forward pass */
  mean: Tensor;
  rstd: Tensor;
  /** [B, D], the gradient of the output */
  dy: Tensor;
  /** [B, D], overwritten */
  dx: Tensor;
}

export interface LayerNormBackwardParamsTensors {
  x: Tensor;
  mean: Tensor;
  rstd: Tensor;
  dy: Tensor;
  /** [D], overwritten with sum_i dy * xhat */
  dgamma: Tensor;
  /** [D], overwritten with sum_i dy */
  dbeta: Tensor;
}

const eps = (o: NormOptions) => finiteOption('layernorm', 'eps', o.eps ?? DEFAULT_NORM_EPS, 0);

/** Check the shared shapes: x [B, D], and mean [B] and rstd [B] when given. */
function rows(what: string, t: { x: Tensor; mean?: Tensor; rstd?: Tensor }): [number, number] {
  const [B, D] = matrixDims(what, 'x', t.x);
  expectShapeIfGiven(what, 'mean', t.mean, [B]);
  expectShapeIfGiven(what, 'rstd', t.rstd, [B]);
  return [B, D];
}

/** Every check of the forward pass; the outputs are checked when given. */
function checkForward(t: Unmade<LayerNormTensors, 'y' | 'mean' | 'rstd'>, options: NormOptions): [number, number, number] {
  const what = 'layernorm forward';
  const [B, D] = rows(what, t);
  for (const name of ['gamma', 'beta'] as const) expectShape(what, name, t[name], [D]);
  expectShapeIfGiven(what, 'y', t.y, [B, D]);
  return [B, D, eps(options)];
}

/** Every check of the input gradient's pass; dx is checked when given. */
function checkBackward(t: Unmade<LayerNormBackwardTensors, 'dx'>): [number, number] {
  const what = 'layernorm backward';
  const [B, D] = rows(what, t);
  expectShape(what, 'gamma', t.gamma, [D]);
  expectShape(what, 'dy', t.dy, [B, D]);
  expectShapeIfGiven(what, 'dx', t.dx, [B, D]);
  return [B, D];
}

/** Every check of the parameter gradients' pass; dgamma and dbeta are checked when given. */
function checkBackwardParams(t: Unmade<LayerNormBackwardParamsTensors, 'dgamma' | 'dbeta'>): [number, number] {
  const what = 'layernorm backward_params';
  const [B, D] = rows(what, t);
  expectShape(what, 'dy', t.dy, [B, D]);
  for (const name of ['dgamma', 'dbeta'] as const) expectShapeIfGiven(what, name, t[name], [D]);
  return [B, D];
}

/** Prepare y = (x - mean) * rstd * gamma + beta over the last dimension, saving mean and rstd per row. */
export async function prepareLayerNormForward(rt: Runtime, t: LayerNormTensors, options: NormOptions = {}): Promise<Dispatch> {
  const [B, D, epsilon] = checkForward(t, options);
  const pass = rowPass(normLayout(rt, options), 'forward', B);
  const kernel = await rt.kernel('layernorm', { entry: pass.entry, constants: { WG } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, gamma: t.gamma, beta: t.beta, y: t.y, mean: t.mean, rstd: t.rstd }),
    uniforms: { params: { B, D, eps: epsilon } },
    workgroups: pass.workgroups,
    label: `layernorm forward ${B}x${D}`,
  });
}

/** Prepare dx of layer normalization from the saved mean and rstd (dgamma and dbeta: prepareLayerNormBackwardParams). */
export async function prepareLayerNormBackward(
  rt: Runtime,
  t: LayerNormBackwardTensors,
  options: Pick<NormOptions, 'layout'> & {
    /** Add dx onto what `t.dx` holds (a further gradient contribution to the same input) instead of writing it. */
    accumulate?: boolean;
  } = {},
): Promise<Dispatch> {
  const [B, D] = checkBackward(t);
  const pass = rowPass(normLayout(rt, options), 'backward', B);
  if (options.accumulate !== undefined && typeof options.accumulate !== 'boolean') {
    throw new OptionError(`layernorm backward: accumulate must be true or false, got ${JSON.stringify(options.accumulate)}`);
  }
  // Only where used, so the pipelines of every other LayerNorm keep their keys.
  const kernel = await rt.kernel('layernorm', { entry: pass.entry, constants: { WG, ...(options.accumulate ? { ACCUMULATE: true } : {}) } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, gamma: t.gamma, saved_mean: t.mean, saved_rstd: t.rstd, dy: t.dy, dx: t.dx }),
    uniforms: { params: { B, D, eps: 0 } },
    workgroups: pass.workgroups,
    label: `layernorm backward ${B}x${D}${options.accumulate ? ' accumulate' : ''}`,
  });
}

/** Prepare dgamma = sum_i dy * xhat and dbeta = sum_i dy from the saved mean and rstd. */
export async function prepareLayerNormBackwardParams(rt: Runtime, t: LayerNormBackwardParamsTensors): Promise<Dispatch> {
  const [B, D] = checkBackwardParams(t);
  const kernel = await rt.kernel('layernorm', { entry: 'backward_params', constants: { WG_X: COL_WG_X, WG_Y: COL_WG_Y } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, saved_mean: t.mean, saved_rstd: t.rstd, dy: t.dy, dgamma: t.dgamma, dbeta: t.dbeta }),
    uniforms: { params: { B, D, eps: 0 } },
    workgroups: gridFor(ceilDiv(D, COL_WG_X)),
    label: `layernorm backward_params ${B}x${D}`,
  });
}

/** Layer normalization on the GPU; allocates y [B, D], mean [B] and rstd [B]. */
export async function layerNorm(
  rt: Runtime,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  options: NormOptions = {},
): Promise<{ y: Tensor; mean: Tensor; rstd: Tensor }> {
  const [B, D] = checkForward({ x, gamma, beta }, options);
  normLayout(rt, options); // checked before the outputs are made
  const outputs = { y: { shape: [B, D], label: 'y' }, mean: { shape: [B], label: 'mean' }, rstd: { shape: [B], label: 'rstd' } };
  return runOneShot(rt, outputs, (out) => [() => prepareLayerNormForward(rt, { x, gamma, beta, ...out }, options)]);
}

/** Layer normalization's gradients on the GPU (two dispatches); allocates dx [B, D], dgamma [D] and dbeta [D]. */
export async function layerNormBackward(
  rt: Runtime,
  t: { x: Tensor; gamma: Tensor; mean: Tensor; rstd: Tensor; dy: Tensor },
  options: Pick<NormOptions, 'layout'> = {},
): Promise<{ dx: Tensor; dgamma: Tensor; dbeta: Tensor }> {
  const [B, D] = checkBackward(t);
  checkBackwardParams(t);
  normLayout(rt, options);
  const outputs = { dx: { shape: [B, D], label: 'dx' }, dgamma: { shape: [D], label: 'dgamma' }, dbeta: { shape: [D], label: 'dbeta' } };
  return runOneShot(rt, outputs, (out) => [
    () => prepareLayerNormBackward(rt, { ...t, dx: out.dx }, options),
    () => prepareLayerNormBackwardParams(rt, { ...t, dgamma: out.dgamma, dbeta: out.dbeta }),
  ]);
}
