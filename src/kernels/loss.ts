import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { bind, expectShape, expectShapeIfGiven, finiteOption, matrixDims, rowLayout, runOneShot, type Unmade } from './common.js';
import { ceilDiv, gridFor } from './grid.js';

/** Invocations per row of the row-wise loss kernels (a power of two). */
const WG = 64;

export interface LossOptions {
  /**
   * Factor on the gradient, a run-time uniform. Default 1 / B: the gradient of the mean loss over the batch
   * (PyTorch's reduction='mean'); 1 gives the gradient of the sum.
   */
  gradScale?: number;
  /**
   * softmax_cross_entropy only: 'invocation' gives a row one invocation (no barrier), 'workgroup' gives a row a
   * workgroup that reduces through workgroup memory. Default 'auto': a row per invocation up to
   * PER_ROW_MAX_CLASSES classes on GPUs and up to SOFTWARE_PER_ROW_MAX_CLASSES on CPU adapters (where barriers
   * cost more than a row's arithmetic), a workgroup per row beyond.
   */
  layout?: 'auto' | 'invocation' | 'workgroup';
}

export interface SoftmaxCrossEntropyTensors {
  /** [B, C] */
  logits: Tensor;
  /** [B], class indices stored as f32 */
  labels: Tensor;
  /** [B], overwritten with -log softmax[label] per row */
  loss: Tensor;
  /** [B, C], overwritten with gradScale * (softmax - onehot(label)) */
  dlogits: Tensor;
  /** [B], overwritten with 1 where argmax(logits row) == label (ties to the lowest index), else 0 */
  correct: Tensor;
}

/** Up to this many classes softmax cross-entropy runs a row per invocation, beyond it a workgroup per row. */
export const PER_ROW_MAX_CLASSES = 64;

/**
 * The same bound on CPU adapters: a workgroup per row pays a barrier per reduction step for little arithmetic
 * (on lavapipe 1024 rows of 65 classes take 4.6 ms that way, 0.4 ms a row per invocation).
 */
export const SOFTWARE_PER_ROW_MAX_CLASSES = 1024;

/** Whether a softmax cross-entropy over C classes runs a row per invocation (OptionError on an unknown layout). */
function perRowLayout(rt: Runtime, C: number, options: LossOptions): boolean {
  return rowLayout(rt, 'softmax_cross_entropy', C, options.layout, { gpu: PER_ROW_MAX_CLASSES, software: SOFTWARE_PER_ROW_MAX_CLASSES }) === 'invocation';
}

/** Every check of softmax cross-entropy: [B, C] and the gradient's scale; the outputs are checked when given. */
function checkSoftmaxCrossEntropy(t: Unmade<SoftmaxCrossEntropyTensors, 'loss' | 'dlogits' | 'correct'>, options: LossOptions): [number, number, number] {
  const what = 'softmax_cross_entropy';
  const [B, C] = matrixDims(what, 'logits', t.logits);
  expectShape(what, 'labels', t.labels, [B]);
  expectShapeIfGiven(what, 'loss', t.loss, [B]);
  expectShapeIfGiven(what, 'dlogits', t.dlogits, [B, C]);
  expectShapeIfGiven(what, 'correct', t.correct, [B]);
  return [B, C, finiteOption(what, 'gradScale', options.gradScale ?? 1 / B)];
}

/** Prepare the fused, max-shifted softmax cross-entropy: loss, dlogits and correct in one dispatch. */
export async function prepareSoftmaxCrossEntropy(rt: Runtime, t: SoftmaxCrossEntropyTensors, options: LossOptions = {}): Promise<Dispatch> {
  const [B, C, gradScale] = checkSoftmaxCrossEntropy(t, options);
  // Few classes: a row per invocation (no idle invocations, no barriers); many: a workgroup per row.
  const perRow = perRowLayout(rt, C, options);
  const kernel = await rt.kernel('softmax_cross_entropy', perRow ? { entry: 'per_row' } : { constants: { WG } });
  return rt.prepare(kernel, {
    ...bind({ logits: t.logits, labels: t.labels, loss: t.loss, dlogits: t.dlogits, correct: t.correct }),
    uniforms: { params: { B, C, grad_scale: gradScale } },
    workgroups: perRow ? gridFor(ceilDiv(B, 64)) : gridFor(B),
    label: `softmax_cross_entropy ${B}x${C}`,
  });
}

/** Softmax cross-entropy on the GPU; allocates loss [B], dlogits [B, C] and correct [B]. */
export async function softmaxCrossEntropy(
  rt: Runtime,
  logits: Tensor,
  labels: Tensor,
  options: LossOptions = {},
): Promise<{ loss: Tensor; dlogits: Tensor; correct: Tensor }> {
  const [B, C] = checkSoftmaxCrossEntropy({ logits, labels }, options);
  perRowLayout(rt, C, options); // checked before the outputs are made
  const outputs = { loss: { shape: [B], label: 'loss' }, dlogits: { shape: [B, C], label: `d${logits.label}` }, correct: { shape: [B], label: 'correct' } };
  return runOneShot(rt, outputs, (out) => [() => prepareSoftmaxCrossEntropy(rt, { logits, labels, ...out }, options)]);
}

export interface MseTensors {
  /** [B, D] */
  pred: Tensor;
  /** [B, D] */
  target: Tensor;
  /** [B], overwritten with the mean over D of (pred - target)^2 */
  loss: Tensor;
  /** [B, D], overwritten with gradScale * 2 (pred - target) / D */
  dpred: Tensor;
}

/** Every check of the mean squared error: [B, D] and the gradient's scale; the outputs are checked when given. */
function checkMse(t: Unmade<MseTensors, 'loss' | 'dpred'>, options: LossOptions): [number, number, number] {
  const what = 'mse';
  const [B, D] = matrixDims(what, 'pred', t.pred);
  expectShape(what, 'target', t.target, [B, D]);
  expectShapeIfGiven(what, 'loss', t.loss, [B]);
  expectShapeIfGiven(what, 'dpred', t.dpred, [B, D]);
  return [B, D, finiteOption(what, 'gradScale', options.gradScale ?? 1 / B)];
}

/** Prepare the mean squared error per row and its gradient in one dispatch. */
export async function prepareMse(rt: Runtime, t: MseTensors, options: LossOptions = {}): Promise<Dispatch> {
  const [B, D, gradScale] = checkMse(t, options);
  const kernel = await rt.kernel('mse', { constants: { WG } });
  return rt.prepare(kernel, {
    // 'target' is a WGSL reserved word; the shader calls it tgt.
    ...bind({ pred: t.pred, tgt: t.target, loss: t.loss, dpred: t.dpred }),
    uniforms: { params: { B, D, grad_scale: gradScale } },
    workgroups: gridFor(B),
    label: `mse ${B}x${D}`,
  });
}

/** Mean squared error on the GPU; allocates loss [B] and dpred [B, D]. */
export async function mse(rt: Runtime, pred: Tensor, target: Tensor, options: LossOptions = {}): Promise<{ loss: Tensor; dpred: Tensor }> {
  const [B, D] = checkMse({ pred, target }, options);
  const outputs = { loss: { shape: [B], label: 'loss' }, dpred: { shape: [B, D], label: `d${pred.label}` } };
  return runOneShot(rt, outputs, (out) => [() => prepareMse(rt, { pred, target, ...out }, options)]);
}
