// Order statistics of timing samples, shared by the benchmark and the matmul tuner.

/** The q-quantile (0..1) of xs, interpolating linearly between order statistics; NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** The median of xs (the mean of the middle two for an even count); NaN for none. */
export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** The interquartile range over the median: how widely repeated measurements of one thing disagree. */
export const relativeSpread = (xs: readonly number[]): number => (quantile(xs, 0.75) - quantile(xs, 0.25)) / median(xs);
