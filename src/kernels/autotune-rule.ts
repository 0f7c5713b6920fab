// The matmul tuner's decision: which candidate 'auto' runs for a slot, from interleaved repeated timings. A
// candidate replaces the untuned default only when its median beats the default's by more than the noise in
// both; a near tie keeps the default, whose choice was made by hand and checked across sizes.
import { median, relativeSpread } from '../util/stats.js';

/** The smallest speed-up over the default that replaces it, however quiet the measurements. */
export const TUNING_MARGIN = 0.05;

/** The tuner's choice and the figures it was made from. */
export interface TuningDecision {
  /** Index of the chosen candidate. */
  index: number;
  /** Index of the candidate with the lowest median time (the chosen one, unless it was within the noise). */
  fastest: number;
  /** The fastest candidate's speed-up over the default (median over median; 1 without a default). */
  speedup: number;
  /** The speed-up it needed: 1 + max(margin, the relative spread of its samples or the default's). */
  needed: number;
}

/**
 * Choose among candidates from their samples (milliseconds per run, one list per candidate, lower is faster).
 * `defaultIndex` is the untuned default's place, or -1 if it was not measured (then the fastest median wins).
 * A challenger wins when default median / its median exceeds 1 + max(margin, relative IQR of either);
 * of the challengers that do, the fastest median.
 */
export function decideTuning(samples: readonly (readonly number[])[], defaultIndex: number, margin = TUNING_MARGIN): TuningDecision {
  const medians = samples.map((s) => (s.length ? median(s) : Infinity));
  const fastest = medians.reduce((best, m, i) => (m < medians[best]! ? i : best), 0);
  if (!Number.isFinite(medians[fastest]!)) throw new RangeError('decideTuning: no candidate has samples');
  if (defaultIndex < 0 || !Number.isFinite(medians[defaultIndex] ?? Infinity)) return { index: fastest, fastest, speedup: 1, needed: 1 };
  const base = medians[defaultIndex]!;
  const needed = (i: number) => 1 + Math.max(margin, relativeSpread(samples[i]!), relativeSpread(samples[defaultIndex]!));
  let index = defaultIndex;
  medians.forEach((m, i) => {
    if (i !== defaultIndex && base / m > needed(i) && m < medians[index]!) index = i;
  });
  return { index, fastest, speedup: base / medians[fastest]!, needed: needed(fastest) };
}
