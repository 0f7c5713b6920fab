// Generation tokens/s of the gpt suite's model: net.generate() with its key/value cache against a full recompute,
// each new token from net.predict over the whole window (the same window policy as generate()), greedy, wall clock
// per whole generation (readbacks included: both sides read every token back before choosing the next).
import { argmax } from '../reference/sample.js';
import { windowKeep } from '../train/generate.js';
import type { Network } from '../train/network.js';
import { Rng } from '../util/rng.js';
import { summarise, type Timing } from './timing.js';

/** Cached and recomputed greedy generation of the same tokens from the same prompt. */
export interface GptGenerateRow {
  promptTokens: number;
  newTokens: number;
  /** net.generate(prompt, { tokens, temperature: 0 }), ms per whole generation. */
  cached: Timing;
  /** Each token by net.predict over the window, ms per whole generation. */
  recompute: Timing;
  cachedTokensPerSecond: number;
  recomputeTokensPerSecond: number;
  /** cachedTokensPerSecond / recomputeTokensPerSecond. */
  speedup: number;
  /** Whether both produced the same tokens (near-tied logits of a barely trained model may differ in the last bit). */
  sameTokens: boolean;
}

/** Greedy generation by full recompute: one predict of the padded window per new token. */
async function recompute(net: Network, prompt: number[], tokens: number, context: number, vocab: number): Promise<number[]> {
  let w = prompt.slice();
  const out: number[] = [];
  const x = new Uint32Array(context);
  for (let i = 0; i < tokens; i++) {
    x.fill(0);
    x.set(w);
    const logits = await net.predict(x);
    const t = argmax(logits.subarray((w.length - 1) * vocab, w.length * vocab));
    out.push(t);
    w.push(t);
    if (w.length > context) w = w.slice(-windowKeep(context));
  }
  return out;
}

/** Median wall-clock milliseconds of `repeats` calls after one warm-up; the last call's result. */
async function timeCalls<T>(repeats: number, call: () => Promise<T>): Promise<{ timing: Timing; result: T }> {
  let result = await call();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    result = await call();
    samples.push(performance.now() - t0);
  }
  return { timing: summarise(samples, 'wall-clock'), result };
}

/** Time `tokens` greedy tokens from a seeded prompt (at most half the context) on a GPT network. */
export async function benchGptGeneration(
  net: Network,
  shape: { context: number; vocab: number },
  options: { prompt?: number; tokens?: number; repeats?: number } = {},
): Promise<GptGenerateRow> {
  const { context, vocab } = shape;
  const promptTokens = Math.max(1, Math.min(options.prompt ?? 16, Math.floor(context / 2)));
  const newTokens = options.tokens ?? 64;
  const repeats = options.repeats ?? 3;
  const rng = new Rng(5);
  const prompt = Array.from({ length: promptTokens }, () => rng.int(vocab));
  const cached = await timeCalls(repeats, async () => Array.from(await net.generate(prompt, { tokens: newTokens, temperature: 0 })));
  const full = await timeCalls(repeats, () => recompute(net, prompt, newTokens, context, vocab));
  const tps = (t: Timing) => (newTokens * 1000) / t.median;
  return {
    promptTokens,
    newTokens,
    cached: cached.timing,
    recompute: full.timing,
    cachedTokensPerSecond: tps(cached.timing),
    recomputeTokensPerSecond: tps(full.timing),
    speedup: tps(cached.timing) / tps(full.timing),
    sameTokens: cached.result.every((t, i) => t === full.result[i]),
  };
}

/** The generation row as text lines. */
export function formatGptGeneration(g: GptGenerateRow): string[] {
  const line = (name: string, t: Timing, tps: number) =>
    `  ${name.padEnd(30)}${t.median.toFixed(1).padStart(10)} ms${Math.round(tps).toString().padStart(10)} tokens/s  (${t.min.toFixed(1)}-${t.max.toFixed(1)})`;
  return [
    `generation, greedy, ${g.newTokens} tokens from a ${g.promptTokens}-token prompt (wall clock, median of ${g.cached.repetitions}):`,
    line('generate (key/value cache)', g.cached, g.cachedTokensPerSecond),
    line('predict over the window', g.recompute, g.recomputeTokensPerSecond),
    `  cache / recompute: ${g.speedup.toFixed(2)}x tokens/s${g.sameTokens ? '' : '; the two decoded different tokens (near-tied logits)'}`,
  ];
}
