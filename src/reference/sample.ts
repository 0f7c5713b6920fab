// CPU reference for shaders/sample.wgsl: greedy choice, temperature and top-k, and the counter-based draw.
// Written from the definition: probabilities softmax(logits / temperature) over the kept logits (every logit >=
// the k-th largest, ties kept; all of them when topK is 0 or >= V), and the index chosen by inverse CDF at
// u = uniformDraw(seed, counter).

/** PCG's output permutation of one LCG step: a 32-bit hash. */
export function pcgHash(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** The uniform draw in [0, 1) (24 bits) a (seed, counter) pair gives, as the GPU makes it. */
export function uniformDraw(seed: number, counter: number): number {
  return (pcgHash((pcgHash(seed) ^ counter) >>> 0) >>> 8) / 16777216;
}

/** The first index of the largest logit. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** The distribution a draw follows: softmax(logits / temperature) over the top-k logits (ties with the k-th kept), float64. */
export function samplingProbabilities(logits: ArrayLike<number>, temperature: number, topK = 0): Float64Array {
  const V = logits.length;
  const sorted = Array.from(logits).sort((a, b) => b - a);
  const threshold = topK > 0 && topK < V ? sorted[topK - 1]! : -Infinity;
  const top = sorted[0]!;
  const p = new Float64Array(V);
  let total = 0;
  for (let i = 0; i < V; i++) {
    if (logits[i]! >= threshold) total += p[i] = Math.exp((logits[i]! - top) / temperature);
  }
  return p.map((x) => x / total);
}

/** The token the GPU draws from one row of logits: greedy at temperature 0, else inverse CDF at uniformDraw(seed, counter). */
export function sampleToken(logits: ArrayLike<number>, options: { temperature: number; topK?: number; seed: number; counter: number }): number {
  if (options.temperature === 0) return argmax(logits);
  const p = samplingProbabilities(logits, options.temperature, options.topK ?? 0);
  const u = uniformDraw(options.seed, options.counter);
  let acc = 0;
  let last = argmax(logits);
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    last = i;
    acc += p[i]!;
    if (acc > u) return i;
  }
  return last;
}
