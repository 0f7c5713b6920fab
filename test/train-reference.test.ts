// The GPU trainer against the CPU reference trainer: the same model (dense, every activation, LayerNorm,
// BatchNorm, a residual block), the same initial parameters and batches; loss, every gradient, every
// parameter and the BatchNorm running averages after 1 and after 20 steps.
import { describe, expect, it } from 'vitest';
import { Network } from '../src/train/network.js';
import { ReferenceNetwork } from '../src/train/reference-trainer.js';
import { activation, batchNorm, dense, layerNorm, residual } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { sgd } from '../src/optim/sgd.js';
import type { LossKind } from '../src/scheduler/lower.js';
import { allclose } from '../src/util/allclose.js';
import { Rng } from '../src/util/rng.js';
import { gpu } from './helpers/gpu.js';

const everyLayer = (outputs: number) =>
  sequential(
    5,
    [
      dense(8, { activation: 'relu' }),
      layerNorm(),
      residual([dense(8, { activation: 'tanh' }), batchNorm(), dense(8), activation('gelu')]),
      dense(7, { activation: 'sigmoid' }),
      dense(6, { activation: 'leaky_relu', slope: 0.1 }),
      batchNorm(),
      dense(outputs),
    ],
    { seed: 3 },
  );

function batchOf(rng: Rng, B: number, loss: LossKind, outputs: number) {
  const x = rng.floats(B * 5, -2, 2);
  const y = loss === 'cross_entropy' ? Float32Array.from({ length: B }, () => rng.int(outputs)) : rng.floats(B * outputs);
  return { x, y };
}

function expectClose(label: string, got: Record<string, { data: Float32Array }>, want: Record<string, Float32Array>, tol: { atol: number; rtol: number }) {
  for (const [name, w] of Object.entries(want)) {
    const r = allclose(got[name]!.data, w, tol);
    expect(r.ok, `${label} '${name}': ${r.detail}`).toBe(true);
  }
}

for (const loss of ['cross_entropy', 'mse'] as const) {
  describe(`GPU trainer equals the CPU reference (${loss})`, () => {
    it('after 1 step and after 20 steps: loss, gradients, parameters, running statistics', async () => {
      const rt = await gpu();
      const outputs = 4;
      const model = everyLayer(outputs);
      const net = await Network.compile(rt, model, { loss, optimizer: sgd({ lr: 0.05 }), metricsEvery: 5 });
      const cpu = new ReferenceNetwork(model, loss, sgd({ lr: 0.05 }));
      const losses: number[] = [];
      net.onStep((m) => (losses[m.step] = m.loss));
      const B = 12;
      const plan = await net.plan(B, true);
      const rng = new Rng(99);
      const cpuLosses: number[] = [];
      for (let s = 0; s < 20; s++) {
        const { x, y } = batchOf(rng, B, loss, outputs);
        await net.trainStep(plan, x, y);
        cpuLosses.push(cpu.step(x, y, B).loss);
        if (s === 0) {
          await net.flush();
          expect(Math.abs(losses[0]! - cpuLosses[0]!)).toBeLessThan(1e-5 + 1e-4 * Math.abs(cpuLosses[0]!));
          expectClose('step 1 gradient', await net.gradients(), cpu.gradients(), { atol: 2e-5, rtol: 1e-3 });
          expectClose('step 1 parameter', await net.parameters(), cpu.parameters(), { atol: 1e-6, rtol: 1e-5 });
        }
      }
      await net.flush();
      const l = allclose(losses, cpuLosses, { atol: 1e-4, rtol: 1e-3 });
      expect(l.ok, `losses over 20 steps: ${l.detail}`).toBe(true);
      expectClose('step 20 gradient', await net.gradients(), cpu.gradients(), { atol: 1e-4, rtol: 1e-2 });
      expectClose('step 20 parameter', await net.parameters(), cpu.parameters(), { atol: 1e-4, rtol: 1e-3 });
      const stats = await net.state();
      for (const seg of model.statsLayout.segments) {
        const want = cpu.stats.subarray(seg.offset, seg.offset + seg.length);
        const r = allclose(stats[seg.name]!.data, want, { atol: 1e-4, rtol: 1e-3 });
        expect(r.ok, `running statistic '${seg.name}': ${r.detail}`).toBe(true);
      }
      expect(losses[19]).toBeLessThan(losses[0]!);
      await net.destroy();
    });
  });
}
