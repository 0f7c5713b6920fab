// BatchNorm's running statistics under the non-finite guard: the step whose loss or gradients go non-finite, and
// every step after it, leave them as they were (as they leave the parameters), until resume(). The training
// forward pass leaves the batch's statistics aside (forward_batch) and the commit after the update folds them in.
import { describe, expect, it } from 'vitest';
import { reference as ref, type Runtime } from '../src/index.js';
import { runBatchNormStep } from '../src/selftest/norm-guard-cases.js';
import { batchNorm, dense } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { sgd } from '../src/optim/sgd.js';
import { Network } from '../src/train/network.js';
import { ReferenceNetwork } from '../src/train/reference-trainer.js';
import { allclose } from '../src/util/allclose.js';
import { Rng } from '../src/util/rng.js';
import { gpu } from './helpers/gpu.js';

const TOL = { atol: 2e-5, rtol: 2e-4 };

function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = TOL) {
  const r = allclose(got, want, tol);
  expect(r.ok, `${label}: ${r.detail}`).toBe(true);
}

describe('forward_batch and commit against the CPU reference', () => {
  const [B, D, m] = [9, 13, 0.25];

  async function setup(rt: Runtime, halted: number) {
    const rng = new Rng(71);
    const [x, g, b, rm, rv] = [rng.floats(B * D, -2, 2), rng.floats(D, 0.5, 2), rng.floats(D), rng.floats(D), rng.floats(D, 0.5, 2)];
    const t = await runBatchNormStep(rt, { x, gamma: g, beta: b, runningMean: rm, runningVar: rv }, B, D, halted !== 0, m);
    return { t, x, g, b, rm, rv, destroy: t.destroyAll };
  }

  it('a finite step: y, mean, rstd and the batch statistics as batchNormTrain, running statistics updated', async () => {
    const rt = await gpu();
    const s = await setup(rt, 0);
    const want = ref.batchNormTrain(s.x, s.g, s.b, s.rm, s.rv, B, D, { momentum: m });
    const stats = ref.batchNormBatchStats(s.x, B, D);
    expectClose('y', await s.t.y.read(), want.y);
    expectClose('mean', await s.t.mean.read(), want.mean);
    expectClose('rstd', await s.t.rstd.read(), want.rstd);
    expectClose('batch statistics', await s.t.batchStats.read(), [...stats.mean, ...stats.unbiasedVar]);
    expectClose('running mean', await s.t.runningMean.read(), want.runningMean);
    expectClose('running var', await s.t.runningVar.read(), want.runningVar);
    s.destroy();
  });

  it('a halted step: the running statistics keep every bit', async () => {
    const rt = await gpu();
    const s = await setup(rt, 1);
    expect([...(await s.t.runningMean.read())]).toEqual([...s.rm]);
    expect([...(await s.t.runningVar.read())]).toEqual([...s.rv]);
    const kept = ref.batchNormCommit(s.rm, s.rv, ref.batchNormBatchStats(s.x, B, D), m, true);
    expect([...kept.runningMean]).toEqual([...s.rm]);
    s.destroy();
  });
});

// Two BatchNorm layers (two commits), the first right on the data so a NaN input poisons its batch statistics.
const model = () => sequential(3, [batchNorm({ momentum: 0.2 }), dense(6, { activation: 'tanh' }), batchNorm(), dense(2)], { seed: 12 });

describe('a training step that goes non-finite leaves the running statistics alone', () => {
  const B = 8;
  const bad = {
    // The loss overflows while every batch statistic stays finite: only the step's verdict can stop the update.
    'an infinite target': (x: Float32Array, y: Float32Array) => ({ x, y: y.map((v, i) => (i === 3 ? Infinity : v)) }),
    // The batch statistics themselves go NaN.
    'a NaN input': (x: Float32Array, y: Float32Array) => ({ x: x.map((v, i) => (i === 4 ? NaN : v)), y }),
  };
  for (const [what, spoil] of Object.entries(bad)) {
    it(`${what}: unchanged on that step and the steps after it, equal to the reference's; updated again after resume()`, async () => {
      const rt = await gpu();
      const mdl = model();
      const net = await Network.compile(rt, mdl, { loss: 'mse', optimizer: sgd({ lr: 0.05 }), metricsEvery: 64 });
      const cpu = new ReferenceNetwork(mdl, 'mse', sgd({ lr: 0.05 }));
      const plan = await net.plan(B, true);
      const rng = new Rng(5);
      const batch = () => ({ x: rng.floats(B * 3, -2, 2), y: rng.floats(B * 2) });
      const nonFinite: number[] = [];
      net.onStep((s) => s.nonFinite && nonFinite.push(s.step));
      for (let s = 0; s < 3; s++) {
        const { x, y } = batch();
        await net.trainStep(plan, x, y);
        cpu.step(x, y, B);
      }
      await net.flush();
      const before = await net.state();
      const good = batch();
      const spoiled = spoil(good.x, good.y);
      await net.trainStep(plan, spoiled.x, spoiled.y); // step 3
      for (let s = 0; s < 2; s++) await net.trainStep(plan, batch().x, batch().y); // halted steps 4 and 5
      await net.flush();
      expect(nonFinite).toEqual([3]);
      const after = await net.state();
      for (const seg of mdl.statsLayout.segments) {
        expect([...after[seg.name]!.data], `running statistic '${seg.name}' changed by a halted step`).toEqual([...before[seg.name]!.data]);
        expectClose(
          `running statistic '${seg.name}' against the reference after 3 steps`,
          after[seg.name]!.data,
          cpu.stats.subarray(seg.offset, seg.offset + seg.length),
        );
      }
      net.resume();
      const next = batch();
      await net.trainStep(plan, next.x, next.y);
      cpu.step(next.x, next.y, B);
      await net.flush();
      const resumed = await net.state();
      for (const seg of mdl.statsLayout.segments) {
        expectClose(`running statistic '${seg.name}' after resume()`, resumed[seg.name]!.data, cpu.stats.subarray(seg.offset, seg.offset + seg.length));
      }
      expect(resumed[mdl.statsLayout.segments[0]!.name]!.data).not.toEqual(before[mdl.statsLayout.segments[0]!.name]!.data);
      await net.destroy();
    }, 120_000);
  }
});
