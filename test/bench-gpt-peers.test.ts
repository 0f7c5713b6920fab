// The gpt suite's peers: TF.js and jax-js build the same GPT as Descent (same parameter count, same initial values,
// hence the same first loss) and train it (the loss falls), at a tiny size so this file stays quick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/gpu/runtime.js';
import { createRuntime } from '../src/runtime.js';
import { loadJax, loadTfjs, isPeer, type Peer } from '../src/bench/peers/index.js';
import { gptBatches, gptModel, gptProblem, type GptSpec } from '../src/bench/peers/gpt-common.js';
import { benchGptTraining } from '../src/bench/gpt.js';

const TINY: GptSpec = { vocab: 11, context: 8, layers: 1, heads: 2, channels: 16, batch: 2 };

let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime();
});
afterAll(() => rt?.destroy());

let descentFirstLoss = NaN;

it("Descent's side trains the tiny GPT: tokens/s and a falling loss", async () => {
  const r = await benchGptTraining(rt, TINY, { warmup: 2, targetMs: 50 });
  expect(r.params).toBe(gptModel(TINY).layout.count);
  expect(r.tokensPerSecond).toBeGreaterThan(0);
  expect(r.tokensPerSecond).toBeCloseTo((TINY.batch * TINY.context * 1000) / r.timing.median, 6);
  expect(r.lossLast).toBeLessThan(r.lossFirst);
  expect(r.trains).toBe(true);
  descentFirstLoss = r.lossFirst;
}, 60_000);

describe.each([
  ['tfjs', loadTfjs],
  ['jax', loadJax],
] as const)('peer %s', (name, load) => {
  let peer: Peer;
  beforeAll(async () => {
    const p = await load();
    if (!isPeer(p)) throw new Error(`${name} did not load: ${p.error}`);
    peer = p;
  });
  afterAll(() => peer?.dispose());

  it('builds the same GPT (parameter count, first loss) and takes steps with a falling loss', async () => {
    const r = await peer.gptTrainStep({ spec: TINY, steps: 2, warmup: 1 });
    console.log(`[${name}] tiny GPT: ${r.params} parameters, loss ${r.lossFirst.toFixed(4)} -> ${r.lossLast.toFixed(4)}, ${r.msPerStep.toFixed(1)} ms/step`);
    expect(r.params).toBe(gptModel(TINY).layout.count);
    // Descent's initial parameters and the same batch: the same loss before any update, to f32 rounding.
    expect(Math.abs(r.lossFirst - descentFirstLoss)).toBeLessThan(1e-3);
    expect(r.lossLast).toBeLessThan(r.lossFirst);
    expect(r.tokensPerSecond).toBeCloseTo((TINY.batch * TINY.context * 1000) / r.msPerStep, 6);
  }, 120_000);
});

it('the token batches are learnable streams: each label is the next id', () => {
  const { xs, ys } = gptBatches(TINY);
  for (let b = 0; b < xs.length; b++) {
    for (let r = 0; r < TINY.batch; r++) {
      for (let t = 0; t + 1 < TINY.context; t++) expect(xs[b]![r * TINY.context + t + 1]).toBe(ys[b]![r * TINY.context + t]);
    }
  }
  // The same seed gives the same problem; the tensors are Descent's initial arena, by name.
  const [a, b] = [gptProblem(TINY), gptProblem(TINY)];
  expect(a.xs[0]).toEqual(b.xs[0]);
  expect(a.tensors.map((t) => t.name)).toEqual(gptModel(TINY).layout.segments.map((s) => s.name));
});
