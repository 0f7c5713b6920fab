// Text generation with the key/value cache: greedy decoding equals a CPU greedy decode with the reference forward
// token for token, and a full recompute on the GPU (predict on the window); sampled tokens equal the reference
// sampler's for the same (seed, counter), are repeatable for a seed and differ across seeds; top-k 1 is greedy;
// the sampling kernel's draws follow softmax(logits / temperature) (chi-square); generating creates no GPU object;
// typed errors.
import { describe, expect, it } from 'vitest';
import { BusyError, DataError, DeviceError, OptionError } from '../src/core/errors.js';
import { Tensor } from '../src/gpu/tensor.js';
import { sampleTokens } from '../src/kernels/sample.js';
import { dense } from '../src/nn/layers.js';
import { sequential, type Model } from '../src/nn/model.js';
import { gpt } from '../src/nn/zoo.js';
import { adamw } from '../src/optim/index.js';
import { argmax, sampleToken, samplingProbabilities } from '../src/reference/sample.js';
import { windowKeep } from '../src/train/generate.js';
import { Network } from '../src/train/network.js';
import { SequenceReference } from '../src/train/reference-sequence.js';
import { Rng } from '../src/util/rng.js';
import { countCreations, NO_CREATIONS } from './helpers/creations.js';
import { gpu } from './helpers/gpu.js';
import { settle } from './helpers/settle.js';

const [V, T, C, H] = [11, 8, 16, 2];
const tiny = (layers: number, tie = false) => gpt({ vocab: V, context: T, layers, heads: H, channels: C, tie, seed: 7 });

/** A tiny GPT on the GPU after a few AdamW steps on random windows (so the decoder reads trained parameters). */
async function trained(model: Model): Promise<Network> {
  const net = await Network.compile(await gpu(), model, { loss: 'cross_entropy', optimizer: adamw({ lr: 0.02 }) });
  const rng = new Rng(3);
  const x = Uint32Array.from({ length: 4 * T }, () => rng.int(V));
  await net.fit({ x, y: x.map((v) => (v + 1) % V) }, { epochs: 3, batchSize: 4 });
  return net;
}

/** The network's parameters as one flat array in the arena's layout, for the CPU reference. */
async function flatParams(net: Network): Promise<Float32Array> {
  const rec = await net.parameters();
  const flat = new Float32Array(net.layout.length);
  for (const s of net.layout.segments) flat.set(rec[s.name]!.data, s.offset);
  return flat;
}

/** Decode on the CPU with the same window policy: `logitsOf(window)` gives the last position's logits. */
function decodeWith(logitsOf: (w: number[]) => ArrayLike<number>, prompt: number[], n: number, pick: (logits: ArrayLike<number>, i: number) => number) {
  let w = prompt.slice(-T);
  const out: number[] = [];
  let margin = Infinity;
  for (let i = 0; i < n; i++) {
    const l = Array.from(logitsOf(w));
    const sorted = [...l].sort((a, b) => b - a);
    margin = Math.min(margin, sorted[0]! - sorted[1]!);
    const t = pick(l, i);
    out.push(t);
    w.push(t);
    if (w.length > T) w = w.slice(-windowKeep(T));
  }
  return { ids: out, margin };
}

const referenceLogits = (ref: SequenceReference) => (w: number[]) => {
  const ids = new Uint32Array(T);
  ids.set(w);
  const { acts } = ref.forward(ids, 1);
  return acts[acts.length - 1]!.slice((w.length - 1) * V, w.length * V);
};

describe('generate', () => {
  it('greedy decoding with the cache equals a CPU greedy decode with the reference forward, token for token', { timeout: 240_000 }, async () => {
    for (const [layers, tie] of [
      [2, false],
      [1, true],
    ] as const) {
      const net = await trained(tiny(layers, tie));
      const ref = new SequenceReference(net.model, adamw(), 'f32', await flatParams(net));
      // 3 prompt tokens, then 21 more: the window restarts (at 9 tokens, keeping 4) several times.
      for (const prompt of [
        [3, 1, 4],
        [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5],
      ]) {
        const want = decodeWith(referenceLogits(ref), prompt, 21, (l) => argmax(l));
        // Top-2 gaps far above f32 rounding: token equality is then a real comparison.
        expect(want.margin, `layers ${layers}`).toBeGreaterThan(1e-4);
        const got = await net.generate(prompt, { tokens: 21, temperature: 0 });
        expect(Array.from(got), `layers ${layers} tie ${tie} prompt ${prompt}`).toEqual(want.ids);
      }
      await net.destroy();
    }
  });

  it('cached and uncached (full recompute through predict) generation agree', { timeout: 120_000 }, async () => {
    const net = await trained(tiny(2));
    const prompt = [5, 0, 9];
    const got = Array.from(await net.generate(prompt, { tokens: 14, temperature: 0 }));
    let w = prompt.slice();
    const want: number[] = [];
    for (let i = 0; i < 14; i++) {
      const x = new Uint32Array(T);
      x.set(w);
      const logits = await net.predict(x);
      const t = argmax(logits.subarray((w.length - 1) * V, w.length * V));
      want.push(t);
      w.push(t);
      if (w.length > T) w = w.slice(-windowKeep(T));
    }
    expect(got).toEqual(want);
    await net.destroy();
  });

  it(
    'sampling follows the reference sampler for (seed, counter), repeats for a seed, differs across seeds; top-k 1 is greedy',
    { timeout: 120_000 },
    async () => {
      const net = await trained(tiny(1));
      const ref = new SequenceReference(net.model, adamw(), 'f32', await flatParams(net));
      const prompt = [1, 2, 3];
      for (const o of [
        { temperature: 1, seed: 42 },
        { temperature: 0.7, topK: 3, seed: 9 },
      ]) {
        const got = Array.from(await net.generate(prompt, { tokens: 20, ...o }));
        const want = decodeWith(referenceLogits(ref), prompt, 20, (l, i) => sampleToken(l, { ...o, counter: i })).ids;
        expect(got, JSON.stringify(o)).toEqual(want);
        expect(Array.from(await net.generate(prompt, { tokens: 20, ...o }))).toEqual(got);
      }
      const a = await net.generate(prompt, { tokens: 30, temperature: 1.5, seed: 1 });
      const b = await net.generate(prompt, { tokens: 30, temperature: 1.5, seed: 2 });
      expect(Array.from(a)).not.toEqual(Array.from(b));
      const greedy = Array.from(await net.generate(prompt, { tokens: 20, temperature: 0 }));
      for (const seed of [0, 5]) expect(Array.from(await net.generate(prompt, { tokens: 20, temperature: 2, topK: 1, seed }))).toEqual(greedy);
      await net.destroy();
    },
  );

  it('the sampling kernel draws from softmax(logits / temperature), top-k restricted (chi-square over 4000 draws)', { timeout: 60_000 }, async () => {
    const rt = await gpu();
    const logits = [0.3, -1.2, 2.0, 0.9, 0.0, 1.4, -0.5, 0.95];
    const N = 4000;
    const rows = Tensor.from(rt, Array.from({ length: N }, () => logits).flat(), [N, logits.length], 'logits');
    // Critical values of chi-square at p = 0.001 for 7 and 3 degrees of freedom.
    for (const [temperature, topK, critical] of [
      [0.7, 0, 24.32],
      [1.3, 4, 16.27],
    ] as const) {
      const draws = await sampleTokens(rt, rows, logits.length, N, { temperature, topK, seed: 123 });
      const p = samplingProbabilities(logits, temperature, topK);
      const counts = new Array<number>(logits.length).fill(0);
      for (const d of draws) counts[d]++;
      let chi2 = 0;
      for (let i = 0; i < logits.length; i++) {
        if (p[i] === 0) expect(counts[i], `index ${i} is outside the top ${topK}`).toBe(0);
        else chi2 += (counts[i]! - N * p[i]!) ** 2 / (N * p[i]!);
      }
      expect(chi2, `counts ${counts} vs ${Array.from(p, (x) => Math.round(N * x))}`).toBeLessThan(critical);
      // A chi-square this small is not a constant answer: the counts are spread over every kept index.
      expect(counts.filter((c) => c > 0).length).toBe(topK || logits.length);
    }
    expect(Array.from(await sampleTokens(rt, rows, logits.length, 3, { temperature: 0 }))).toEqual([2, 2, 2]);
    rows.destroy();
  });

  it('creates no GPU object per token once the decoder is made', { timeout: 120_000 }, async () => {
    const net = await trained(tiny(2));
    await net.generate([1], { tokens: 2, seed: 1 });
    const created = await countCreations(net.rt, async () => {
      await net.generate([4, 2], { tokens: 40, temperature: 0.8, topK: 5, seed: 3 });
    });
    expect(created).toEqual(NO_CREATIONS);
    await net.destroy();
  });

  it(
    'rejects bad options and ids with typed errors before anything runs; BusyError during a fit; DeviceError once destroyed',
    { timeout: 120_000 },
    async () => {
      const rt = await gpu();
      const net = await Network.compile(rt, tiny(1), { loss: 'cross_entropy', optimizer: adamw({ lr: 0.01 }) });
      const bad: [unknown, Record<string, unknown>, typeof OptionError | typeof DataError, RegExp][] = [
        [[1], { tokens: 0 }, OptionError, /tokens must be an integer in 1\.\.1000000/],
        [[1], { tokens: 2.5 }, OptionError, /tokens must be an integer/],
        [[1], { tokens: 3, temperature: -1 }, OptionError, /temperature must be a finite number >= 0/],
        [[1], { tokens: 3, temperature: NaN }, OptionError, /temperature must be a finite number/],
        [[1], { tokens: 3, topK: 12 }, OptionError, /topK must be an integer in 1\.\.11/],
        [[1], { tokens: 3, topK: 1.5 }, OptionError, /topK must be an integer/],
        [[1], { tokens: 3, seed: -1 }, OptionError, /seed must be an integer in 0\.\.4294967295/],
        [[1, 11], { tokens: 3 }, DataError, /prompt id 11 at position 1 is outside the vocabulary \[0, 11\)/],
        [[], { tokens: 3 }, DataError, /at least one token/],
        [new Float32Array([1]), { tokens: 3 }, DataError, /Uint32Array, Int32Array or number\[\]/],
      ];
      for (const [prompt, o, type, message] of bad) {
        const call = () => net.generate(prompt as number[], o as never);
        expect(call, JSON.stringify(o)).toThrow(type);
        expect(call).toThrow(message);
      }
      const mlp = await Network.compile(rt, sequential(4, [dense(3)]), { loss: 'cross_entropy' });
      expect(() => mlp.generate([1], { tokens: 1 })).toThrow(OptionError);
      await mlp.destroy();

      const x = Uint32Array.from({ length: 64 * T }, (_, i) => i % V);
      const fitting = net.fit({ x, y: x }, { epochs: 50, batchSize: 4 });
      await new Promise((r) => setTimeout(r, 50));
      await expect(net.generate([1], { tokens: 2 })).rejects.toThrow(BusyError);
      net.stop();
      await settle(fitting, 60_000, 'the stopped fit');
      expect((await net.generate([1], { tokens: 2, temperature: 0 })).length).toBe(2);
      await net.destroy();
      expect(() => net.generate([1], { tokens: 2 })).toThrow(DeviceError);
    },
  );
});
