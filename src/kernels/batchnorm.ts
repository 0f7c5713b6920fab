import { ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { bind, expectShape, expectShapeIfGiven, finiteOption, matrixDims, runOneShot, type Unmade } from './common.js';
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

/** Training-mode forward with the running update deferred to prepareBatchNormCommit (a guarded training step). */
export interface BatchNormBatchTensors extends Omit<BatchNormTrainTensors, 'runningMean' | 'runningVar'> {
  /** [2, D], overwritten with the batch mean and unbiased variance, for prepareBatchNormCommit */
  batchStats: Tensor;
}

/** Folding a batch's statistics into the running statistics, unless the training step was halted. */
export interface BatchNormCommitTensors {
  /** [2, D], written by the forward_batch dispatch of the same step */
  batchStats: Tensor;
  /** The optimizer's sticky halt flag (one u32); non-zero leaves the running statistics unchanged */
  control: Tensor;
  /** [D] and [D], updated in place */
  runningMean: Tensor;
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
const momentumOf = (what: string, o: BatchNormOptions) => finiteOption(what, 'momentum', o.momentum ?? DEFAULT_BATCHNORM_MOMENTUM, 0, 1);

/** Check x [B, D] and the [D] tensors named in `perFeature` (those given); returns [B, D]. */
function features(what: string, x: Tensor, perFeature: Record<string, Tensor | undefined>): [number, number] {
  const [B, D] = matrixDims(what, 'x', x);
  for (const [name, t] of Object.entries(perFeature)) expectShapeIfGiven(what, name, t, [D]);
  return [B, D];
}

type TrainOutputs = 'y' | 'mean' | 'rstd';

/** Every check of a training forward pass (deferred with `batchStats`); the outputs are checked when given. */
function checkTrain(
  what: string,
  t: Unmade<BatchNormBatchTensors, TrainOutputs | 'batchStats'> & { runningMean?: Tensor; runningVar?: Tensor },
  options: BatchNormOptions,
): { B: number; D: number; eps: number; momentum: number } {
  const { gamma, beta, mean, rstd, runningMean, runningVar } = t;
  const [B, D] = features(what, t.x, { gamma, beta, mean, rstd, runningMean, runningVar });
  expectShapeIfGiven(what, 'y', t.y, [B, D]);
  expectShapeIfGiven(what, 'batchStats', t.batchStats, [2, D]);
  return { B, D, eps: eps(options), momentum: momentumOf(what, options) };
}

/** Every check of the evaluation forward pass; y is checked when given. */
function checkEval(t: Unmade<BatchNormEvalTensors, 'y'>, options: NormOptions): [number, number, number] {
  const what = 'batchnorm forward_eval';
  const { gamma, beta, runningMean, runningVar } = t;
  const [B, D] = features(what, t.x, { gamma, beta, runningMean, runningVar });
  expectShapeIfGiven(what, 'y', t.y, [B, D]);
  return [B, D, eps(options)];
}

/** Every check of the backward pass; the outputs are checked when given. */
function checkBackward(t: Unmade<BatchNormBackwardTensors, 'dx' | 'dgamma' | 'dbeta'>): [number, number] {
  const what = 'batchnorm backward';
  const { gamma, mean, rstd, dgamma, dbeta } = t;
  const [B, D] = features(what, t.x, { gamma, mean, rstd, dgamma, dbeta });
  expectShape(what, 'dy', t.dy, [B, D]);
  expectShapeIfGiven(what, 'dx', t.dx, [B, D]);
  return [B, D];
}

/** Prepare training-mode batch normalization: y from the batch statistics, saved mean / rstd, running stats updated. */
export async function prepareBatchNormForwardTrain(rt: Runtime, t: BatchNormTrainTensors, options: BatchNormOptions = {}): Promise<Dispatch> {
  const { B, D, ...u } = checkTrain('batchnorm forward_train', t, options);
  const kernel = await rt.kernel('batchnorm', { entry: 'forward_train', constants: { WG_X: COL_WG_X, WG_Y: COL_WG_Y } });
  const { x, gamma, beta, y, mean, rstd } = t;
  return rt.prepare(kernel, {
    ...bind({ x, gamma, beta, y, mean, rstd, running_mean: t.runningMean, running_var: t.runningVar }),
    uniforms: { params: { B, D, ...u } },
    workgroups: gridFor(ceilDiv(D, COL_WG_X)),
    label: `batchnorm forward_train ${B}x${D}`,
  });
}

/**
 * Prepare training-mode batch normalization that leaves the running statistics alone: the batch's mean and
 * unbiased variance go to `batchStats` for prepareBatchNormCommit, which runs once the step is known finite.
 */
export async function prepareBatchNormForwardBatch(rt: Runtime, t: BatchNormBatchTensors, options: NormOptions = {}): Promise<Dispatch> {
  const { B, D, eps } = checkTrain('batchnorm forward_batch', t, options);
  const kernel = await rt.kernel('batchnorm', { entry: 'forward_batch', constants: { WG_X: COL_WG_X, WG_Y: COL_WG_Y } });
  const { x, gamma, beta, y, mean, rstd } = t;
  return rt.prepare(kernel, {
    ...bind({ x, gamma, beta, y, mean, rstd, batch_stats: t.batchStats }),
    uniforms: { params: { B, D, eps, momentum: 0 } },
    workgroups: gridFor(ceilDiv(D, COL_WG_X)),
    label: `batchnorm forward_batch ${B}x${D}`,
  });
}

/**
 * Prepare the running statistics' update from a forward_batch's `batchStats`, skipped while `control` holds the
 * optimizer's halt flag: placed after the update dispatch, which sets that flag on the step that goes non-finite.
 */
export async function prepareBatchNormCommit(rt: Runtime, t: BatchNormCommitTensors, options: BatchNormOptions = {}): Promise<Dispatch> {
  const what = 'batchnorm commit';
  const D = t.runningMean.size;
  for (const [name, v] of Object.entries({ runningMean: t.runningMean, runningVar: t.runningVar })) expectShape(what, name, v, [D]);
  expectShape(what, 'batchStats', t.batchStats, [2, D]);
  if (t.control.size < 1) throw new ShapeError(`${what}: 'control' must hold the halt flag (one u32), got ${t.control.size} elements`);
  const momentum = momentumOf(what, options);
  const kernel = await rt.kernel('batchnorm_commit', { constants: { WG } });
  return rt.prepare(kernel, {
    buffers: { batch_stats: t.batchStats.ref, control: t.control.ref, running_mean: t.runningMean.ref, running_var: t.runningVar.ref },
    needs: { batch_stats: 8 * D, control: 4, running_mean: 4 * D, running_var: 4 * D },
    uniforms: { params: { D, momentum } },
    workgroups: gridFor(ceilDiv(D, WG)),
    label: `batchnorm commit ${D}`,
  });
}

/** Prepare evaluation-mode batch normalization from the running statistics (which it does not change). */
export async function prepareBatchNormForwardEval(rt: Runtime, t: BatchNormEvalTensors, options: NormOptions = {}): Promise<Dispatch> {
  const [B, D, epsilon] = checkEval(t, options);
  const kernel = await rt.kernel('batchnorm', { entry: 'forward_eval', constants: { WG } });
  const { gamma, beta, runningMean, runningVar } = t;
  return rt.prepare(kernel, {
    ...bind({ x: t.x, gamma, beta, running_mean_in: runningMean, running_var_in: runningVar, y: t.y }),
    uniforms: { params: { B, D, eps: epsilon, momentum: 0 } },
    workgroups: gridFor(ceilDiv(B * D, WG)),
    label: `batchnorm forward_eval ${B}x${D}`,
  });
}

/** Prepare training-mode batch normalization's gradients dx, dgamma, dbeta from the saved mean and rstd. */
export async function prepareBatchNormBackward(rt: Runtime, t: BatchNormBackwardTensors): Promise<Dispatch> {
  const [B, D] = checkBackward(t);
  const kernel = await rt.kernel('batchnorm', { entry: 'backward', constants: { WG_X: COL_WG_X, WG_Y: COL_WG_Y } });
  const { gamma, mean, rstd, dgamma, dbeta } = t;
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
  const { B, D } = checkTrain('batchnorm forward_train', t, options);
  const outputs = { y: { shape: [B, D], label: 'y' }, mean: { shape: [D], label: 'mean' }, rstd: { shape: [D], label: 'rstd' } };
  return runOneShot(rt, outputs, (out) => [() => prepareBatchNormForwardTrain(rt, { ...t, ...out }, options)]);
}

/** Evaluation-mode batch normalization on the GPU; allocates y. */
export async function batchNormEval(
  rt: Runtime,
  t: { x: Tensor; gamma: Tensor; beta: Tensor; runningMean: Tensor; runningVar: Tensor },
  options: NormOptions = {},
): Promise<Tensor> {
  checkEval(t, options);
  return (await runOneShot(rt, { y: { shape: t.x.shape, label: 'y' } }, ({ y }) => [() => prepareBatchNormForwardEval(rt, { ...t, y }, options)])).y;
}

/** Batch normalization's training-mode gradients on the GPU; allocates dx [B, D], dgamma [D] and dbeta [D]. */
export async function batchNormBackward(
  rt: Runtime,
  t: { x: Tensor; gamma: Tensor; mean: Tensor; rstd: Tensor; dy: Tensor },
): Promise<{ dx: Tensor; dgamma: Tensor; dbeta: Tensor }> {
  const [B, D] = checkBackward(t);
  const outputs = { dx: { shape: [B, D], label: 'dx' }, dgamma: { shape: [D], label: 'dgamma' }, dbeta: { shape: [D], label: 'dbeta' } };
  return runOneShot(rt, outputs, (out) => [() => prepareBatchNormBackward(rt, { ...t, ...out })]);
}
