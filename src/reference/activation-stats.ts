// CPU reference for shaders/activation_stats.wgsl: what one activation layer's pre-activations z [B, U] say about
// vanishing gradients, from the definitions, in float64. One record of ACTIVATION_STATS_STRIDE floats:
//   [0] saturated: fraction of the B*U elements where |act'(z)| < 1% of its maximum (sigmoid and tanh only, else 0)
//   [1] dead: fraction of the U units (columns) whose z is finite and <= 0 for every one of the B rows (ReLU and
//       Leaky ReLU only, else 0; for Leaky ReLU these units are inactive, kept alive by the slope)
//   [2] mean of z, [3] population standard deviation of z; both NaN when any element is NaN or +-Inf
//   [4] count of non-finite elements, which no other field counts
//   [5 + k] histogram: count of finite z in bin k of HIST_BINS over [-8, 8): bin k = floor(2 z) + 16, clamped to
//       [0, 31], so bin 0 also holds z < -8 and bin 31 z >= 8
import type { Activation } from '../core/activations.js';

/** Bins of the pre-activation histogram. */
export const HIST_BINS = 32;
/** The histogram's range: HIST_BINS bins of width (HIST_MAX - HIST_MIN) / HIST_BINS = 0.5. */
export const HIST_MIN = -8;
/** The histogram covers [-HIST_MAX, HIST_MAX); the outer bins also take the tails. */
export const HIST_MAX = 8;
/** Field offsets of one record. */
export const STAT = { saturated: 0, dead: 1, mean: 2, std: 3, nonFinite: 4, histogram: 5 } as const;
/** Floats per layer record. */
export const ACTIVATION_STATS_STRIDE = 5 + HIST_BINS;

/**
 * |z| beyond which act'(z) < 1% of its maximum, as f32: sigmoid'(z) = 1 / (4 cosh²(z/2)) (max 1/4), so
 * |z| > 2 acosh(10); tanh'(z) = 1 / cosh²(z) (max 1), so |z| > acosh(10). Infinity where saturation is not measured.
 */
export function saturationThreshold(activation: Activation): number {
  if (activation === 'sigmoid') return Math.fround(2 * Math.acosh(10));
  if (activation === 'tanh') return Math.fround(Math.acosh(10));
  return Infinity;
}

/** Whether `dead` is measured: the activations whose output is flat (ReLU) or nearly so (Leaky ReLU) for z <= 0. */
export const measuresDead = (activation: Activation): boolean => activation === 'relu' || activation === 'leaky_relu';

/** Histogram bin of a finite z: floor(2 z) + 16 clamped to [0, HIST_BINS - 1] (2 z is exact in f32 and f64). */
export function histogramBin(z: number): number {
  return Math.min(HIST_BINS - 1, Math.max(0, Math.floor(2 * z) + HIST_BINS / 2));
}

/** One layer's record (see the file header) for pre-activations z, row-major [B, U]. */
export function activationStats(z: ArrayLike<number>, B: number, U: number, activation: Activation): Float64Array {
  const out = new Float64Array(ACTIVATION_STATS_STRIDE);
  const limit = saturationThreshold(activation);
  let saturated = 0;
  let bad = 0;
  let sum = 0;
  for (let i = 0; i < B * U; i++) {
    const v = z[i]!;
    if (!Number.isFinite(v)) {
      bad++;
      continue;
    }
    sum += v;
    if (Math.abs(v) > limit) saturated++;
    out[STAT.histogram + histogramBin(v)]!++;
  }
  let dead = 0;
  if (measuresDead(activation)) {
    for (let u = 0; u < U; u++) {
      let alive = false;
      for (let b = 0; b < B; b++) {
        const v = z[b * U + u]!;
        if (!Number.isFinite(v) || v > 0) alive = true;
      }
      if (!alive) dead++;
    }
  }
  const n = B * U;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(z[i]!)) sq += (z[i]! - mean) ** 2;
  out[STAT.saturated] = saturated / n;
  out[STAT.dead] = dead / U;
  out[STAT.mean] = bad > 0 ? NaN : mean;
  out[STAT.std] = bad > 0 ? NaN : Math.sqrt(sq / n);
  out[STAT.nonFinite] = bad;
  return out;
}
