import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { bind, expectShape, finiteOption, matrixDims, runPrepared } from './common.js';
import { ceilDiv, gridFor } from './grid.js';

/** Invocations per row of the row-wise loss kernels (a power of two). */
const WG = 64;

export interface LossOptions {
  /**
   * Factor on the gradient, a run-time uniform. Default 1 / B: the gradient of the mean loss over the batch
   * (PyTorch's reduction='mean'); 1 gives the gradient of the sum.
   */
  gradScale?: number;
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

/** Prepare the fused, max-shifted softmax cross-entropy: loss, dlogits and correct in one dispatch. */
export async function prepareSoftmaxCrossEntropy(
  rt: Runtime,
  t: SoftmaxCrossEntropyTensors,
  options: LossOptions = {},
): Promise<Dispatch> {
  const what = 'softmax_cross_entropy';
  const [B, C] = matrixDims(what, 'logits', t.logits);
  expectShape(what, 'labels', t.labels, [B]);
  expectShape(what, 'loss', t.loss, [B]);
  expectShape(what, 'dlogits', t.dlogits, [B, C]);
  expectShape(what, 'correct', t.correct, [B]);
  const gradScale = finiteOption(what, 'gradScale', options.gradScale ?? 1 / B);
  // Few classes: a row per invocation (no idle invocations, no barriers); many: a workgroup per row.
  const perRow = C <= PER_ROW_MAX_CLASSES;
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
  const [B, C] = matrixDims('softmax_cross_entropy', 'logits', logits);
  const loss = Tensor.zeros(rt, [B], 'loss');
  const dlogits = Tensor.zeros(rt, [B, C], `d${logits.label}`);
  const correct = Tensor.zeros(rt, [B], 'correct');
  await runPrepared(rt, [loss, dlogits, correct], [
    () => prepareSoftmaxCrossEntropy(rt, { logits, labels, loss, dlogits, correct }, options),
  ]);
  return { loss, dlogits, correct };
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

/** Prepare the mean squared error per row and its gradient in one dispatch. */
export async function prepareMse(rt: Runtime, t: MseTensors, options: LossOptions = {}): Promise<Dispatch> {
  const what = 'mse';
  const [B, D] = matrixDims(what, 'pred', t.pred);
  expectShape(what, 'target', t.target, [B, D]);
  expectShape(what, 'loss', t.loss, [B]);
  expectShape(what, 'dpred', t.dpred, [B, D]);
  const gradScale = finiteOption(what, 'gradScale', options.gradScale ?? 1 / B);
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
export async function mse(
  rt: Runtime,
  pred: Tensor,
  target: Tensor,
  options: LossOptions = {},
): Promise<{ loss: Tensor; dpred: Tensor }> {
  const [B, D] = matrixDims('mse', 'pred', pred);
  const loss = Tensor.zeros(rt, [B], 'loss');
  const dpred = Tensor.zeros(rt, [B, D], `d${pred.label}`);
  await runPrepared(rt, [loss, dpred], [() => prepareMse(rt, { pred, target, loss, dpred }, options)]);
  return { loss, dpred };
}
