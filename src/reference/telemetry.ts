// CPU reference for shaders/telemetry.wgsl: one metrics slot, from the definitions, in float64.

/** A run of gradient elements (one parameter tensor), in elements of the gradient arena. */
export interface GradSegment {
  offset: number;
  length: number;
}

/** Floats per metrics slot for S segments: loss, accuracy, non-finite flag, global norm, then 2 per segment. */
export const metricsStride = (segmentCount: number): number => 4 + 2 * segmentCount;

/**
 * One slot of metrics: [mean loss, accuracy, non-finite flag, global grad L2 norm, then per segment its L2 norm
 * and its count of non-finite values]. Any non-finite loss makes the mean loss NaN; any non-finite gradient makes
 * its segment's norm and the global norm NaN. The flag is 1 when either happens. Without `correct`, accuracy is NaN.
 * Elements of a segment past the end of `grads` are ignored.
 */
export function telemetry(grads: ArrayLike<number>, segments: readonly GradSegment[], loss: ArrayLike<number>, correct?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(metricsStride(segments.length));
  let total = 0;
  let anyBadGrad = false;
  segments.forEach((seg, s) => {
    let sq = 0;
    let bad = 0;
    for (let k = seg.offset; k < Math.min(seg.offset + seg.length, grads.length); k++) {
      const v = grads[k]!;
      if (Number.isFinite(v)) sq += v * v;
      else bad++;
    }
    out[4 + 2 * s] = bad > 0 ? NaN : Math.sqrt(sq);
    out[5 + 2 * s] = bad;
    if (bad > 0) anyBadGrad = true;
    else total += sq;
  });
  let lossSum = 0;
  let badLoss = false;
  let hits = 0;
  for (let i = 0; i < loss.length; i++) {
    if (Number.isFinite(loss[i]!)) lossSum += loss[i]!;
    else badLoss = true;
    if (correct) hits += correct[i]!;
  }
  out[0] = badLoss ? NaN : lossSum / loss.length;
  out[1] = correct ? hits / loss.length : NaN;
  out[2] = badLoss || anyBadGrad ? 1 : 0;
  out[3] = anyBadGrad ? NaN : Math.sqrt(total);
  return out;
}
