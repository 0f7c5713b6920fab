// CPU reference for shaders/softmax_cross_entropy.wgsl and shaders/mse.wgsl, from the definitions, in float64.
// Results are Float64Array (not rounded to f32), so the float64 central-difference checks can use them directly.

/** A label that names a class: an integer in [0, C). */
const isClass = (label: number, C: number) => Number.isInteger(label) && label >= 0 && label < C;

/**
 * Softmax cross-entropy per row of logits [B, C] with integer class labels [B]:
 * loss[i] = -log(softmax(z_i)[label_i]) = log(sum_c e^{z_ic}) - z_i,label  (log-sum-exp taken around the row max),
 * dlogits = gradScale * (softmax(z_i) - onehot(label_i)) (the gradient of gradScale * sum_i loss[i]),
 * correct[i] = 1 when the first index of the row's largest logit is the label.
 * A label outside the classes gives loss NaN, correct 0 and dlogits = gradScale * softmax.
 */
export function softmaxCrossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  B: number,
  C: number,
  gradScale = 1,
): { loss: Float64Array; dlogits: Float64Array; correct: Float64Array } {
  const loss = new Float64Array(B);
  const dlogits = new Float64Array(B * C);
  const correct = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    let argmax = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c]! > logits[i * C + argmax]!) argmax = c;
    const m = logits[i * C + argmax]!;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[i * C + c]! - m);
    const label = labels[i]!;
    const valid = isClass(label, C);
    for (let c = 0; c < C; c++) {
      const p = Math.exp(logits[i * C + c]! - m) / sum;
      dlogits[i * C + c] = gradScale * (p - (valid && c === label ? 1 : 0));
    }
    loss[i] = valid ? Math.log(sum) + m - logits[i * C + label]! : NaN;
    correct[i] = valid && argmax === label ? 1 : 0;
  }
  return { loss, dlogits, correct };
}

/**
 * Mean squared error per row of pred [B, D] against target [B, D]: loss[i] = (1/D) sum_d (p - t)^2 and
 * dpred = gradScale * 2 (p - t) / D (the gradient of gradScale * sum_i loss[i]).
 */
export function mse(pred: ArrayLike<number>, target: ArrayLike<number>, B: number, D: number, gradScale = 1): { loss: Float64Array; dpred: Float64Array } {
  const loss = new Float64Array(B);
  const dpred = new Float64Array(B * D);
  for (let i = 0; i < B; i++) {
    let s = 0;
    for (let d = 0; d < D; d++) {
      const e = pred[i * D + d]! - target[i * D + d]!;
      s += e * e;
      dpred[i * D + d] = (gradScale * 2 * e) / D;
    }
    loss[i] = s / D;
  }
  return { loss, dpred };
}
