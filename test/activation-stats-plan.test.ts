// Activation telemetry in the step plan: off by default and then free, one dispatch per activation layer when on,
// and what fit's onStep reports equals the CPU reference on the same weights and batch.
import { afterAll, describe, expect, it } from 'vitest';
import { OptionError, compile, dense, gelu, layerNorm, leakyRelu, sequential, sgd, spiral, type Network, type StepMetrics } from '../src/index.js';
import { ACTIVATION_STATS_STRIDE, STAT, activationStats } from '../src/reference/activation-stats.js';
import { ReferenceNetwork } from '../src/train/reference-trainer.js';
import { allclose } from '../src/util/allclose.js';
import { gpu } from './helpers/gpu.js';

// relu and tanh are fused into their dense layers unless telemetry is on; the leaky ReLU after a residual-free
// layerNorm and the GELU never are. 70 units: not a multiple of 64. The tanh layer starts large, to saturate.
const model = () =>
  sequential(
    2,
    [dense(6, { activation: 'relu' }), dense(70, { activation: 'tanh', init: { normal: 1.5 } }), layerNorm(), leakyRelu(0.1), dense(5), gelu(), dense(3)],
    { seed: 5 },
  );
const data = spiral({ n: 24, classes: 3, seed: 2 });
const nets: Network[] = [];
afterAll(async () => {
  for (const n of nets) await n.destroy();
});

async function make(activationStats?: boolean): Promise<Network> {
  const net = await compile(await gpu(), model(), {
    loss: 'cross_entropy',
    optimizer: sgd({ lr: 0.5 }),
    ...(activationStats === undefined ? {} : { activationStats }),
  });
  nets.push(net);
  return net;
}

/** The reference records of every activation layer for parameters `params` on the whole (unshuffled) dataset. */
function referenceRecords(params: Float32Array): Float64Array[] {
  const r = new ReferenceNetwork(model(), 'cross_entropy', sgd({ lr: 0.5 }), params);
  const acts = r.forward(data.x, data.n, true);
  const g = r.model.graph;
  return g.nodes
    .filter((n) => n.op.op === 'activation')
    .map((n) => activationStats(acts[n.inputs[0]!]!, data.n, n.width, n.op.op === 'activation' ? n.op.activation : 'identity'));
}

function expectRecords(got: StepMetrics, want: Float64Array[]): void {
  expect(got.activations?.map((a) => [a.layer, a.activation, a.units])).toEqual([
    ['1', 'relu', 6],
    ['3', 'tanh', 70],
    ['5', 'leaky_relu', 70],
    ['7', 'gelu', 5],
  ]);
  got.activations!.forEach((a, l) => {
    const w = want[l]!;
    const flat = [a.saturated, a.dead, a.mean, a.std, a.nonFinite, ...a.histogram];
    expect(flat).toHaveLength(ACTIVATION_STATS_STRIDE);
    const counts = (v: ArrayLike<number>) => Array.from(v).filter((_, k) => k !== STAT.mean && k !== STAT.std);
    const close = allclose(counts(flat), counts(w), { atol: 1e-7, rtol: 1e-6 });
    expect(close.ok, `layer ${a.layer}: ${close.detail}`).toBe(true);
    expect(a.mean).toBeCloseTo(w[STAT.mean]!, 4);
    expect(a.std).toBeCloseTo(w[STAT.std]!, 4);
  });
}

describe('activation telemetry in the step plan', () => {
  it('adds nothing when off and exactly one dispatch per activation layer when on (fused layers included)', async () => {
    const [off, unset, on] = [await make(false), await make(), await make(true)];
    const counts = async (n: Network) => [(await n.plan(8, true)).dispatchCount, (await n.plan(8, false)).dispatchCount];
    const [offTrain, offEval] = await counts(off);
    expect(await counts(unset)).toEqual([offTrain, offEval]);
    // Four activation layers; evaluation plans never measure.
    expect(await counts(on)).toEqual([offTrain + 4, offEval]);
  });

  it("fit's onStep reports each layer's statistics as the reference computes them on the same weights and batch", async () => {
    const net = await make(true);
    const seen: StepMetrics[] = [];
    const start = (await net.parameters()) as Record<string, { data: Float32Array }>;
    const flat = (rec: Record<string, { data: Float32Array }>) => {
      const all = new Float32Array(net.layout.length);
      for (const s of net.layout.segments) all.set(rec[s.name]!.data, s.offset);
      return all;
    };
    await net.fit(data, { batchSize: data.n, shuffle: false, onStep: (m) => seen.push(m) });
    const after = flat((await net.parameters()) as Record<string, { data: Float32Array }>);
    await net.fit(data, { batchSize: data.n, shuffle: false, onStep: (m) => seen.push(m) });
    expect(seen.map((m) => m.step)).toEqual([0, 1]);
    const first = referenceRecords(flat(start));
    expectRecords(seen[0]!, first);
    // The second step ran on the updated weights, in the next slot of the ring.
    expectRecords(seen[1]!, referenceRecords(after));
    expect(first[1]![STAT.saturated]).toBeGreaterThan(0);
    expect(seen[1]!.activations![1]!.mean).not.toBe(seen[0]!.activations![1]!.mean);
  });

  it('trains as the plan without telemetry does (unfused activations give the same losses)', async () => {
    const losses = async (n: Network) => {
      const out: number[] = [];
      await n.fit(data, { batchSize: 8, epochs: 2, shuffle: false, onStep: (m) => out.push(m.loss) });
      return out;
    };
    const [a, b] = [await losses(await make(false)), await losses(await make(true))];
    expect(b).toHaveLength(6);
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 5));
  });

  it('rejects an activationStats that is not a boolean', async () => {
    const rt = await gpu();
    await expect(compile(rt, model(), { loss: 'cross_entropy', activationStats: 'yes' as unknown as boolean })).rejects.toThrow(OptionError);
    await expect(compile(rt, model(), { loss: 'cross_entropy', activationStats: 'yes' as unknown as boolean })).rejects.toThrow(
      /activationStats must be true or false/,
    );
  });
});
