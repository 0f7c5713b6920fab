import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { bind, expectShape, finiteOption, matrixDims, runPrepared } from './common.js';
import { ceilDiv, gridFor } from './grid.js';
import { COL_WG_X, COL_WG_Y } from './reduce.js';

/** Default epsilon of LayerNorm and BatchNorm (PyTorch's). */
export const DEFAULT_NORM_EPS = 1e-5;

/** Invocations per row of the row-wise entries (a power of two). */
const WG = 64;

export interface NormOptions {
  /** Added to the variance inside the square root; default 1e-5 (PyTorch's). A run-time uniform. */
  eps?: number;
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

/** Check the shared shapes: x [B, D], mean [B], rstd [B]. */
function rows(what: string, t: { x: Tensor; mean: Tensor; rstd: Tensor }): [number, number] {
  const [B, D] = matrixDims(what, 'x', t.x);
  expectShape(what, 'mean', t.mean, [B]);
  expectShape(what, 'rstd', t.rstd, [B]);
  return [B, D];
}

/** Prepare y = (x - mean) * rstd * gamma + beta over the last dimension, saving mean and rstd per row. */
export async function prepareLayerNormForward(rt: Runtime, t: LayerNormTensors, options: NormOptions = {}): Promise<Dispatch> {
  const what = 'layernorm forward';
  const [B, D] = rows(what, t);
  for (const name of ['gamma', 'beta'] as const) expectShape(what, name, t[name], [D]);
  expectShape(what, 'y', t.y, [B, D]);
  const kernel = await rt.kernel('layernorm', { entry: 'forward', constants: { WG } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, gamma: t.gamma, beta: t.beta, y: t.y, mean: t.mean, rstd: t.rstd }),
    uniforms: { params: { B, D, eps: eps(options) } },
    workgroups: gridFor(B),
    label: `layernorm forward ${B}x${D}`,
  });
}

/** Prepare dx of layer normalization from the saved mean and rstd (dgamma and dbeta: prepareLayerNormBackwardParams). */
export async function prepareLayerNormBackward(rt: Runtime, t: LayerNormBackwardTensors): Promise<Dispatch> {
  const what = 'layernorm backward';
  const [B, D] = rows(what, t);
  expectShape(what, 'gamma', t.gamma, [D]);
  expectShape(what, 'dy', t.dy, [B, D]);
  expectShape(what, 'dx', t.dx, [B, D]);
  const kernel = await rt.kernel('layernorm', { entry: 'backward', constants: { WG } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, gamma: t.gamma, saved_mean: t.mean, saved_rstd: t.rstd, dy: t.dy, dx: t.dx }),
    uniforms: { params: { B, D, eps: 0 } },
    workgroups: gridFor(B),
    label: `layernorm backward ${B}x${D}`,
  });
}

/** Prepare dgamma = sum_i dy * xhat and dbeta = sum_i dy from the saved mean and rstd. */
export async function prepareLayerNormBackwardParams(rt: Runtime, t: LayerNormBackwardParamsTensors): Promise<Dispatch> {
  const what = 'layernorm backward_params';
  const [B, D] = rows(what, t);
  expectShape(what, 'dy', t.dy, [B, D]);
  for (const name of ['dgamma', 'dbeta'] as const) expectShape(what, name, t[name], [D]);
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
  const [B, D] = matrixDims('layernorm forward', 'x', x);
  const out = { y: Tensor.zeros(rt, [B, D], 'y'), mean: Tensor.zeros(rt, [B], 'mean'), rstd: Tensor.zeros(rt, [B], 'rstd') };
  await runPrepared(rt, Object.values(out), [() => prepareLayerNormForward(rt, { x, gamma, beta, ...out }, options)]);
  return out;
}

/** Layer normalization's gradients on the GPU (two dispatches); allocates dx [B, D], dgamma [D] and dbeta [D]. */
export async function layerNormBackward(
  rt: Runtime,
  t: { x: Tensor; gamma: Tensor; mean: Tensor; rstd: Tensor; dy: Tensor },
): Promise<{ dx: Tensor; dgamma: Tensor; dbeta: Tensor }> {
  const [B, D] = matrixDims('layernorm backward', 'x', t.x);
  const out = { dx: Tensor.zeros(rt, [B, D], 'dx'), dgamma: Tensor.zeros(rt, [D], 'dgamma'), dbeta: Tensor.zeros(rt, [D], 'dbeta') };
  await runPrepared(rt, Object.values(out), [
    () => prepareLayerNormBackward(rt, { ...t, dx: out.dx }),
    () => prepareLayerNormBackwardParams(rt, { ...t, dgamma: out.dgamma, dbeta: out.dbeta }),
  ]);
  return out;
}
