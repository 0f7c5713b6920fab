import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { bind, expectShape, finiteOption, matrixDims, runPrepared } from './common.js';
import { ceilDiv, gridFor } from './grid.js';
import { DEFAULT_NORM_EPS, type NormOptions } from './layernorm.js';
import { COL_WG_X, COL_WG_Y } from './reduce.js';

/** PyTorch's default momentum of the running statistics. */
export const DEFAULT_BATCHNORM_MOMENTUM = 0.1;

/** Invocations per workgroup of the element-wise forward_eval entry. */
const WG = 256;

export interface BatchNormOptions extends NormOptions {
  /** Weight of this batch in the running statistics, in [0, 1]; default 0.1 (PyTorch's). */
  momentum?: number;
}

export interface BatchNormTrainTensors {
  /** [B, D] */
  x: Tensor;
  /** [D] */
  gamma: Tensor;
  /** [D] */
  beta: Tensor;
  /** [B, D], overwritten */
  y: Tensor;
  /** [D], overwritten with the batch mean (saved for the backward pass) */
  mean: Tensor;
  /** [D], overwritten with 1 / sqrt(biased batch var + eps) */
  rstd: Tensor;
  /** [D], updated in place: (1 - momentum) runningMean + momentum mean */
  runningMean: Tensor;
  /** [D], updated in place: (1 - momentum) runningVar + momentum unbiased var (biased when B = 1) */
  runningVar: Tensor;
}

export interface BatchNormEvalTensors {
  x: Tensor;
  gamma: Tensor;
  beta: Tensor;
  /** [D] and [D], read only */
  runningMean: Tensor;
  runningVar: Tensor;
  /** [B, D], overwritten */
  y: Tensor;
}

export interface BatchNormBackwardTensors {
  /** [B, D], the forward input */
  x: Tensor;
  gamma: Tensor;
  /** [D] and [D], saved by the training forward pass */
  mean: Tensor;
  rstd: Tensor;
  /** [B, D], the gradient of the output */
  dy: Tensor;
  /** [B, D], [D], [D]: all overwritten */
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

const eps = (o: NormOptions) => finiteOption('batchnorm', 'eps', o.eps ?? DEFAULT_NORM_EPS, 0);

/** Check x [B, D] and the [D] tensors named in `perFeature`; returns [B, D]. */
function features(what: string, x: Tensor, perFeature: Record<string, Tensor>): [number, number] {
  const [B, D] = matrixDims(what, 'x', x);
  for (const [name, t] of Object.entries(perFeature)) expectShape(what, name, t, [D]);
  return [B, D];
}

/** Prepare training-mode batch normalization: y from the batch statistics, saved mean / rstd, running stats updated. */
export async function prepareBatchNormForwardTrain(
  rt: Runtime,
  t: BatchNormTrainTensors,
  options: BatchNormOptions = {},
): Promise<Dispatch> {
  const what = 'batchnorm forward_train';
  const { gamma, beta, mean, rstd, runningMean, runningVar } = t;
  const [B, D] = features(what, t.x, { gamma, beta, mean, rstd, runningMean, runningVar });
  expectShape(what, 'y', t.y, [B, D]);
  const momentum = finiteOption(what, 'momentum', options.momentum ?? DEFAULT_BATCHNORM_MOMENTUM, 0, 1);
  const kernel = await rt.kernel('batchnorm', { entry: 'forward_train', constants: { WG_X: COL_WG_X, WG_Y: COL_WG_Y } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, gamma, beta, y: t.y, mean, rstd, running_mean: runningMean, running_var: runningVar }),
    uniforms: { params: { B, D, eps: eps(options), momentum } },
    workgroups: gridFor(ceilDiv(D, COL_WG_X)),
    label: `batchnorm forward_train ${B}x${D}`,
  });
}

/** Prepare evaluation-mode batch normalization from the running statistics (which it does not change). */
export async function prepareBatchNormForwardEval(
  rt: Runtime,
  t: BatchNormEvalTensors,
  options: NormOptions = {},
): Promise<Dispatch> {
  const what = 'batchnorm forward_eval';
  const { gamma, beta, runningMean, runningVar } = t;
  const [B, D] = features(what, t.x, { gamma, beta, runningMean, runningVar });
  expectShape(what, 'y', t.y, [B, D]);
  const kernel = await rt.kernel('batchnorm', { entry: 'forward_eval', constants: { WG } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, gamma, beta, running_mean_in: runningMean, running_var_in: runningVar, y: t.y }),
    uniforms: { params: { B, D, eps: eps(options), momentum: 0 } },
    workgroups: gridFor(ceilDiv(B * D, WG)),
    label: `batchnorm forward_eval ${B}x${D}`,
  });
}

/** Prepare training-mode batch normalization's gradients dx, dgamma, dbeta from the saved mean and rstd. */
export async function prepareBatchNormBackward(rt: Runtime, t: BatchNormBackwardTensors): Promise<Dispatch> {
  const what = 'batchnorm backward';
  const { gamma, mean, rstd, dgamma, dbeta } = t;
  const [B, D] = features(what, t.x, { gamma, mean, rstd, dgamma, dbeta });
  expectShape(what, 'dy', t.dy, [B, D]);
  expectShape(what, 'dx', t.dx, [B, D]);
  const kernel = await rt.kernel('batchnorm', { entry: 'backward', constants: { WG_X: COL_WG_X, WG_Y: COL_WG_Y } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, gamma, saved_mean: mean, saved_rstd: rstd, dy: t.dy, dx: t.dx, dgamma, dbeta }),
    uniforms: { params: { B, D, eps: 0, momentum: 0 } },
    workgroups: gridFor(ceilDiv(D, COL_WG_X)),
    label: `batchnorm backward ${B}x${D}`,
  });
}

/** Training-mode batch normalization on the GPU; allocates y, mean and rstd, updates the running statistics in place. */
export async function batchNormTrain(
  rt: Runtime,
  t: { x: Tensor; gamma: Tensor; beta: Tensor; runningMean: Tensor; runningVar: Tensor },
  options: BatchNormOptions = {},
): Promise<{ y: Tensor; mean: Tensor; rstd: Tensor }> {
  const [B, D] = matrixDims('batchnorm forward_train', 'x', t.x);
  const out = { y: Tensor.zeros(rt, [B, D], 'y'), mean: Tensor.zeros(rt, [D], 'mean'), rstd: Tensor.zeros(rt, [D], 'rstd') };
  await runPrepared(rt, Object.values(out), [() => prepareBatchNormForwardTrain(rt, { ...t, ...out }, options)]);
  return out;
}

/** Evaluation-mode batch normalization on the GPU; allocates y. */
export async function batchNormEval(
  rt: Runtime,
  t: { x: Tensor; gamma: Tensor; beta: Tensor; runningMean: Tensor; runningVar: Tensor },
  options: NormOptions = {},
): Promise<Tensor> {
  const y = Tensor.zeros(rt, t.x.shape, 'y');
  await runPrepared(rt, [y], [() => prepareBatchNormForwardEval(rt, { ...t, y }, options)]);
  return y;
}

/** Batch normalization's training-mode gradients on the GPU; allocates dx [B, D], dgamma [D] and dbeta [D]. */
export async function batchNormBackward(
  rt: Runtime,
  t: { x: Tensor; gamma: Tensor; mean: Tensor; rstd: Tensor; dy: Tensor },
): Promise<{ dx: Tensor; dgamma: Tensor; dbeta: Tensor }> {
  const [B, D] = matrixDims('batchnorm backward', 'x', t.x);
  const out = { dx: Tensor.zeros(rt, [B, D], 'dx'), dgamma: Tensor.zeros(rt, [D], 'dgamma'), dbeta: Tensor.zeros(rt, [D], 'dbeta') };
  await runPrepared(rt, Object.values(out), [() => prepareBatchNormBackward(rt, { ...t, ...out })]);
  return out;
}
