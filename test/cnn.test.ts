// Convolutional models trained on the GPU against the CPU reference trainer step for step (loss, gradients,
// parameters, BatchNorm running averages), the step's dispatches, no GPU object made per step, and checkpoints
// with conv weights in PyTorch's [out, in, kh, kw] layout under PyTorch's names.
import { describe, expect, it } from 'vitest';
import { avgPool2d, conv2d, flatten, globalAvgPool, maxPool2d } from '../src/nn/image-layers.js';
import { batchNorm, dense, residual } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import type { Model } from '../src/nn/model.js';
import { sgd } from '../src/optim/sgd.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../src/train/checkpoint.js';
import { Network } from '../src/train/network.js';
import { ReferenceNetwork } from '../src/train/reference-trainer.js';
import { allclose } from '../src/util/allclose.js';
import { Rng } from '../src/util/rng.js';
import { gpu } from './helpers/gpu.js';
import { countCreations, NO_CREATIONS } from './helpers/creations.js';

const lenet = () =>
  sequential([12, 12, 1], [conv2d(4, 3, { padding: 'same', activation: 'relu' }), maxPool2d(2), conv2d(8, 3, { activation: 'relu' }), flatten(), dense(10)], {
    seed: 5,
  });

const bnResidual = () =>
  sequential(
    [8, 8, 2],
    [
      conv2d(6, 3, { padding: 'same', bias: false }),
      batchNorm(),
      residual([conv2d(6, 3, { padding: 'same', activation: 'relu' }), conv2d(6, 3, { padding: 'same' }), batchNorm()]),
      avgPool2d(3, { stride: 2, padding: 'same' }),
      conv2d(5, 1, { activation: 'tanh' }),
      globalAvgPool(),
      dense(3),
    ],
    { seed: 6 },
  );

function batch(rng: Rng, model: Model, B: number) {
  return { x: rng.floats(B * model.inputDim, -1, 1), y: Float32Array.from({ length: B }, () => rng.int(model.outputDim)) };
}

function expectClose(label: string, got: Record<string, { data: Float32Array }>, want: Record<string, Float32Array>, tol: { atol: number; rtol: number }) {
  for (const [name, w] of Object.entries(want)) {
    const r = allclose(got[name]!.data, w, tol);
    expect(r.ok, `${label} '${name}': ${r.detail}`).toBe(true);
  }
}

async function matchReference(model: Model, B: number, steps: number, options: { activationStats?: boolean } = {}) {
  const rt = await gpu();
  const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.05 }), metricsEvery: 5, ...options });
  const cpu = new ReferenceNetwork(model, 'cross_entropy', sgd({ lr: 0.05 }));
  const losses: number[] = [];
  net.onStep((m) => (losses[m.step] = m.loss));
  const plan = await net.plan(B, true);
  const rng = new Rng(17);
  const cpuLosses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { x, y } = batch(rng, model, B);
    await net.trainStep(plan, x, y);
    cpuLosses.push(cpu.step(x, y, B).loss);
    if (s === 0) {
      await net.flush();
      expectClose('step 1 gradient', await net.gradients(), cpu.gradients(), { atol: 2e-5, rtol: 1e-3 });
      expectClose('step 1 parameter', await net.parameters(), cpu.parameters(), { atol: 1e-6, rtol: 1e-5 });
    }
  }
  await net.flush();
  const l = allclose(losses, cpuLosses, { atol: 1e-4, rtol: 1e-3 });
  expect(l.ok, `losses over ${steps} steps: ${l.detail}`).toBe(true);
  expectClose(`step ${steps} parameter`, await net.parameters(), cpu.parameters(), { atol: 1e-4, rtol: 1e-3 });
  const stats = await net.state();
  for (const seg of model.statsLayout.segments) {
    const r = allclose(stats[seg.name]!.data, cpu.stats.subarray(seg.offset, seg.offset + seg.length), { atol: 1e-4, rtol: 1e-3 });
    expect(r.ok, `running statistic '${seg.name}': ${r.detail}`).toBe(true);
  }
  expect(losses.every(Number.isFinite)).toBe(true);
  // Evaluation mode (BatchNorm on its running averages) on a batch size of its own plan.
  const { x } = batch(rng, model, 3);
  const want = cpu.forward(x, 3, false)[model.graph.output.id]!;
  const e = allclose(await net.predict(x, { batchSize: 3 }), want, { atol: 1e-4, rtol: 1e-3 });
  expect(e.ok, `predictions: ${e.detail}`).toBe(true);
  await net.destroy();
}

describe('convolutional models on the GPU equal the CPU reference trainer', () => {
  it('LeNet-like: conv relu same, max pool, conv relu, flatten, dense', () => matchReference(lenet(), 6, 8), 120_000);
  // Activation telemetry keeps each ReLU a dispatch of its own; the pooling still takes its derivative from its output.
  it('LeNet-like with activation telemetry', () => matchReference(lenet(), 6, 3, { activationStats: true }), 120_000);
  it('BatchNorm over channels, a residual block of convolutions, average and global pooling', () => matchReference(bnResidual(), 4, 6), 120_000);
});

describe('the step plan of a convolutional model', () => {
  it('has a fixed number of dispatches and creates nothing on the GPU during its steps', async () => {
    const rt = await gpu();
    const model = bnResidual();
    const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.05 }), metricsEvery: 4 });
    // B = 40 makes the first convolutions' weight gradients span two splits of 1024 pixels (40 * 64 = 2560).
    const B = 40;
    const plan = await net.plan(B, true);
    // forward: conv, bn, conv+relu (fused), conv, bn, add, avg pool, conv+tanh (fused), global pool, dense: 10; loss: 1;
    // backward: dense dW db dX (3), global pool (1), tanh' from its output (1), 1x1 conv dW db dX (3), avg pool (1),
    // add: none (both inputs' gradients share its gradient's memory; the compiler drops the copies), bn (1), 3x3 conv
    // dW in 3 splits + their sum, db, dX (4), relu' (1), 3x3 conv (4), accumulate into the residual's input (1), bn
    // (1), first conv dW + sum, no bias, no dX (2): 23; telemetry 2, update 1, 2 BatchNorm commits.
    expect(plan.dispatchCount).toBe(10 + 1 + 23 + 2 + 1 + 2);
    // Whichever variant runs each pass (window, subgroup or gather kernels): two forwards carry a fused
    // activation, and three input gradients are one dispatch each.
    expect(plan.dispatches.filter((d) => /^conv2d(_subgroup|_window)?$/.test(d.kernel.shader.name) && !/ACT=0\b/.test(d.kernel.key)).length).toBe(2);
    expect(plan.dispatches.filter((d) => d.label.startsWith('conv2d dx')).length).toBe(3);
    const rng = new Rng(3);
    const { x, y } = batch(rng, model, B);
    for (let s = 0; s < 4; s++) await net.trainStep(plan, x, y); // warm: staging buffers exist
    await net.flush();
    const before = rt.buffers.stats();
    const counts = await countCreations(rt, async () => {
      for (let s = 0; s < 12; s++) await net.trainStep(plan, x, y);
      await net.flush();
    });
    expect(counts).toEqual(NO_CREATIONS);
    expect(rt.buffers.stats()).toEqual(before);
    await net.destroy();
  }, 120_000);
});

describe('the step plan of a LeNet-like model', () => {
  it("backpropagates each ReLU in the dispatch after it: the max pooling's, or the dense layer's input gradient", async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, lenet(), { loss: 'cross_entropy', optimizer: sgd({ lr: 0.05 }) });
    const plan = await net.plan(6, true);
    // forward: conv+relu, max pool, conv+relu, dense (4); loss (1); backward: dense dW db dX*relu' (3), conv dW db
    // dX (3), max pool dX*relu' (1), first conv dW db (2): 9; telemetry 2, update 1. No activation backward runs:
    // the first ReLU's derivative is taken by the pooling from the output it pools.
    expect(plan.dispatchCount).toBe(4 + 1 + 9 + 2 + 1);
    expect(plan.dispatches.some((d) => d.kernel.shader.name === 'activation_grad')).toBe(false);
    const pool = plan.dispatches.filter((d) => d.kernel.shader.name === 'pool2d' && d.kernel.entry.name.startsWith('max_backward'));
    expect(pool.map((d) => /\bGATE=1,GATE_ACT=1\b/.test(d.kernel.key))).toEqual([true]);
    await net.destroy();
  }, 120_000);
});

describe('checkpoints of convolutional models', () => {
  it('save conv weights as [out, in, kh, kw] under PyTorch names and load them back bit-exactly', async () => {
    const rt = await gpu();
    const model = lenet();
    const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.05 }) });
    const rng = new Rng(8);
    const plan = await net.plan(4, true);
    const { x, y } = batch(rng, model, 4);
    await net.trainStep(plan, x, y);
    await net.flush();
    const bytes = await saveSafetensors(net);
    const file = decodeSafetensors(bytes);
    const shapes = Object.fromEntries(
      Object.entries(file.tensors)
        .filter(([k]) => /^\d+\.(weight|bias)$/.test(k))
        .map(([k, t]) => [k, t.shape]),
    );
    expect(shapes).toEqual({ '0.weight': [4, 1, 3, 3], '0.bias': [4], '3.weight': [8, 4, 3, 3], '3.bias': [8], '6.weight': [10, 128], '6.bias': [10] });
    const saved = await net.parameters();
    const img = new Rng(2).floats(144, -1, 1);
    const out = await net.predict(img.slice(), { batchSize: 1 });
    const other = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.05 }) });
    loadSafetensors(other, bytes);
    const loaded = await other.parameters();
    for (const [name, t] of Object.entries(saved)) expect(Array.from(loaded[name]!.data), name).toEqual(Array.from(t.data));
    expect(Array.from(await other.predict(img.slice(), { batchSize: 1 }))).toEqual(Array.from(out));
    await net.destroy();
    await other.destroy();
  }, 120_000);

  it('the saved weight is indexed [oc, c, ky, kx]: the output equals a convolution written by hand with it', async () => {
    const rt = await gpu();
    // Rectangular kernel and 2 input channels, so any other order of the four axes gives other numbers.
    const [H, W, C, OC, KH, KW] = [4, 5, 2, 3, 2, 3];
    const model = sequential([H, W, C], [conv2d(OC, [KH, KW], { init: { normal: 0.5 } }), flatten()], { seed: 9 });
    const net = await Network.compile(rt, model, { loss: 'mse' });
    const file = decodeSafetensors(await saveSafetensors(net));
    const w = file.tensors['0.weight']!;
    expect(w.shape).toEqual([OC, C, KH, KW]);
    const bias = Float32Array.from(new Rng(4).floats(OC, -1, 1));
    net.load({ '0.bias': { shape: [OC], data: bias } }, { partial: true });
    const x = new Rng(3).floats(H * W * C, -1, 1);
    const y = await net.predict(x.slice(), { batchSize: 1 });
    const [OH, OW] = [H - KH + 1, W - KW + 1];
    const want = new Float32Array(OH * OW * OC);
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let oc = 0; oc < OC; oc++) {
          let s = bias[oc]!;
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) s += x[((oy + ky) * W + ox + kx) * C + c]! * w.data[((oc * C + c) * KH + ky) * KW + kx]!;
          want[(oy * OW + ox) * OC + oc] = s;
        }
    const r = allclose(y, want, { atol: 1e-5, rtol: 1e-5 });
    expect(r.ok, r.detail).toBe(true);
    await net.destroy();
  }, 60_000);
});
