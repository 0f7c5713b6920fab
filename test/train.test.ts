// Training end to end on the GPU: spiral in all three modes, an MNIST subset, and the step plan's promises
// (a fixed dispatch count, nothing allocated inside a step).
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/mnist.js';
import { spiral } from '../src/data/synthetic.js';
import { dense } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { sgd } from '../src/optim/sgd.js';
import { evaluate, fit } from '../src/train/fit.js';
import { Network } from '../src/train/network.js';
import { gpu } from './helpers/gpu.js';
import { countCreations, NO_CREATIONS } from './helpers/creations.js';

const spiralModel = (seed = 1) => sequential(2, [dense(32, { activation: 'relu' }), dense(32, { activation: 'relu' }), dense(3)], { seed });

describe('spiral (3 classes, 2 hidden layers) reaches 95% training accuracy', () => {
  const data = spiral({ n: 300, classes: 3, noise: 0.1, seed: 7 });
  const modes = [
    { mode: 'full-batch gradient descent', batchSize: 300, epochs: 1000, lr: 1 },
    { mode: 'mini-batch (32)', batchSize: 32, epochs: 150, lr: 0.3 },
    { mode: 'stochastic (batch 1)', batchSize: 1, epochs: 30, lr: 0.02 },
  ];
  for (const m of modes) {
    it(
      m.mode,
      async () => {
        const rt = await gpu();
        const net = await Network.compile(rt, spiralModel(), { loss: 'cross_entropy', optimizer: sgd({ lr: m.lr }), metricsEvery: 50 });
        const t0 = performance.now();
        const r = await fit(net, data, { epochs: m.epochs, batchSize: m.batchSize, seed: 2 });
        const s = (performance.now() - t0) / 1000;
        const ev = await evaluate(net, data);
        console.log(
          `[spiral ${m.mode}] ${net.steps} steps in ${s.toFixed(1)} s (${(net.steps / s).toFixed(0)} steps/s); last epoch loss ${r.epochs.at(-1)!.loss.toFixed(4)}; accuracy ${(100 * ev.accuracy).toFixed(1)}%`,
        );
        expect(ev.accuracy).toBeGreaterThanOrEqual(0.95);
        await net.destroy();
      },
      240_000,
    );
  }
});

describe('MNIST subset', () => {
  it('784-64-10 reaches 85% test accuracy with mini-batches', async () => {
    const { train, test } = await loadMnist({ trainSize: 3000, testSize: 1000 });
    const rt = await gpu();
    const model = sequential(784, [dense(64, { activation: 'relu' }), dense(10)], { seed: 1 });
    const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.1 }) });
    const t0 = performance.now();
    const r = await fit(net, train, { epochs: 4, batchSize: 32, seed: 1 });
    const s = (performance.now() - t0) / 1000;
    const ev = await evaluate(net, test);
    console.log(
      `[mnist] ${net.steps} steps in ${s.toFixed(1)} s; train accuracy ${(100 * r.epochs.at(-1)!.accuracy).toFixed(1)}%, test ${(100 * ev.accuracy).toFixed(1)}%`,
    );
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.85);
    await net.destroy();
  }, 240_000);
});

describe('the step plan', () => {
  it('has a fixed number of dispatches and creates nothing on the GPU during 100 steps', async () => {
    const rt = await gpu();
    const model = sequential(2, [dense(16, { activation: 'tanh' }), dense(16, { activation: 'relu' }), dense(3)], { seed: 4 });
    const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.1 }) });
    const plan = await net.plan(8, true);
    // forward: 3 dense, the activations fused into their epilogues; loss; backward: 3 dW + 3 db + 2 dX, each
    // dX with the activation before it backpropagated in its epilogue (derivative from the activation's
    // output, no dispatch of its own); telemetry: 2; update: 1.
    expect(plan.dispatchCount).toBe(3 + 1 + 8 + 2 + 1);
    const matmuls = plan.dispatches.filter((d) => d.kernel.shader.name.startsWith('matmul_'));
    expect(matmuls.filter((d) => !/\|ACT=0\b/.test(d.kernel.key)).length).toBe(2);
    expect(matmuls.filter((d) => /,GATE=1\b/.test(d.kernel.key)).length).toBe(2);
    expect(plan.dispatches.some((d) => d.kernel.shader.name === 'activation_grad')).toBe(false);
    const data = spiral({ n: 64, seed: 1 });
    await fit(net, data, { epochs: 1, batchSize: 8 }); // warm: every plan and staging buffer exists
    const before = rt.buffers.stats();
    const counts = await countCreations(rt, async () => {
      const x = new Float32Array(8 * 2);
      const y = new Float32Array(8);
      for (let s = 0; s < 100; s++) {
        x.set(data.x.subarray((s % 8) * 16, (s % 8) * 16 + 16));
        y.set(data.y.subarray((s % 8) * 8, (s % 8) * 8 + 8));
        await net.trainStep(plan, x, y);
      }
      await net.flush();
    });
    expect(counts).toEqual(NO_CREATIONS);
    expect(rt.buffers.stats()).toEqual(before);
    await net.destroy();
  });

  it('shares memory between activations and gradients whose lifetimes do not overlap', async () => {
    const rt = await gpu();
    const layers = Array.from({ length: 6 }, () => dense(64, { activation: 'relu' }));
    const net = await Network.compile(rt, sequential(32, [...layers, dense(4)], { seed: 1 }), { loss: 'cross_entropy' });
    const plan = await net.plan(128, true);
    console.log(`[memory] transient ${plan.transientBytes} bytes shared, ${plan.unsharedBytes} unshared`);
    expect(plan.transientBytes).toBeLessThan(plan.unsharedBytes * 0.8);
    await net.destroy();
  });
});
