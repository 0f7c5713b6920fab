// Bad input before training starts, a non-finite step during training, the last partial batch, and
// checkpoints that round-trip or are refused without touching the live model.
import { describe, expect, it } from 'vitest';
import { spiral } from '../src/data/synthetic.js';
import type { Dataset } from '../src/data/dataset.js';
import { CheckpointError, DataError, GraphError, TrainingError } from '../src/core/errors.js';
import { batchNorm, dense, layerNorm, residual } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { sgd } from '../src/optim/sgd.js';
import { fit } from '../src/train/fit.js';
import { Network } from '../src/train/network.js';
import { ReferenceNetwork } from '../src/train/reference-trainer.js';
import { loadSafetensors, saveSafetensors } from '../src/train/checkpoint.js';
import { allclose } from '../src/util/allclose.js';
import { gpu } from './helpers/gpu.js';

const small = () => sequential(2, [dense(8, { activation: 'relu' }), dense(3)], { seed: 5 });
const clone = (ds: Dataset, patch: Partial<Dataset>): Dataset => ({ ...ds, x: ds.x.slice(), y: ds.y.slice(), ...patch });

describe('bad input is a typed error before training starts', () => {
  it('names the layer and the shapes of a graph that does not fit', () => {
    expect(() => sequential(4, [dense(8), residual([dense(5)])])).toThrow(GraphError);
    expect(() => sequential(4, [dense(8), residual([dense(5)], { name: 'block' })])).toThrow(
      /residual 'block': its block maps width 8 to 5; a residual block must keep the width \(8\)/,
    );
    expect(() => sequential(4, [dense(0)])).toThrow(/units must be a positive integer, got 0/);
    expect(() => sequential(4, [dense(3, { name: 'a' }), dense(3, { name: 'a' })])).toThrow(/two tensors are named 'a.weight'/);
    expect(() => sequential(4, [batchNorm({ momentum: 2 })])).toThrow(/momentum must be in/);
  });

  it('data of the wrong width, labels out of range, NaN or Inf, bad batch sizes', async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, small(), { loss: 'cross_entropy' });
    const ds = spiral({ n: 30, seed: 1 });
    await expect(fit(net, { ...ds, inputDim: 3, x: new Float32Array(90) })).rejects.toThrow(DataError);
    await expect(fit(net, { ...ds, inputDim: 3, x: new Float32Array(90) })).rejects.toThrow(/3.*2|2.*3/);
    const badLabel = clone(ds, {});
    badLabel.y[4] = 7;
    await expect(fit(net, badLabel)).rejects.toThrow(/row 4.*7/);
    const nan = clone(ds, {});
    nan.x[2 * 6 + 1] = NaN;
    await expect(fit(net, nan)).rejects.toThrow(/row 6.*column 1/);
    const inf = clone(ds, {});
    inf.x[0] = Infinity;
    await expect(fit(net, inf)).rejects.toThrow(DataError);
    await expect(fit(net, ds, { batchSize: 0 })).rejects.toThrow(/batch size must be an integer from 1 to the dataset size \(30\), got 0/);
    await expect(fit(net, ds, { batchSize: 31 })).rejects.toThrow(/got 31/);
    expect(net.steps).toBe(0);
    await net.destroy();
  });
});

describe('a step that goes non-finite', () => {
  it('stops training at that step, names the layer, and keeps the last good parameters', async () => {
    const rt = await gpu();
    const model = sequential(2, [dense(8, { activation: 'relu' }), dense(8, { activation: 'relu' }), dense(3)], { seed: 2 });
    const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.1 }), metricsEvery: 4 });
    const ds = spiral({ n: 40, seed: 3 });
    // A learning rate of 1e30 at step 6 makes the parameters huge but finite; step 7's activations overflow
    // and its gradients are non-finite.
    const err = await fit(net, ds, {
      epochs: 5,
      batchSize: 4,
      shuffle: false,
      learningRate: (step) => (step === 6 ? 1e30 : 0.1),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    const e = err as TrainingError;
    expect(e.step).toBe(6);
    expect(e.message).toMatch(/training stopped at step 6: the gradient of '\d\.(weight|bias)' first went non-finite/);
    const after = await net.parameters();
    for (const [name, t] of Object.entries(after)) {
      expect(t.data.every(Number.isFinite), `'${name}' must keep its last good (finite) values`).toBe(true);
    }
    // Steps after the bad one changed nothing: the parameters equal those right after step 6 (1-based), read
    // by replaying the same six updates on the CPU.
    const cpu = new ReferenceNetwork(model, 'cross_entropy', sgd({ lr: 0.1 }));
    for (let s = 0; s < 6; s++) {
      const from = s * 4;
      cpu.step(ds.x.slice(from * 2, (from + 4) * 2), ds.y.slice(from, from + 4), 4, s + 1 === 6 ? 1e30 : 0.1);
    }
    for (const [name, w] of Object.entries(cpu.parameters())) {
      const r = allclose(after[name]!.data, w, { atol: 1e-4, rtol: 1e-3 });
      expect(r.ok, `'${name}' changed after the bad step: ${r.detail}`).toBe(true);
    }
    await net.destroy();
  });
});

describe('the last partial batch', () => {
  it('runs on its own plan and matches the reference step for step', async () => {
    const rt = await gpu();
    const model = sequential(2, [dense(6, { activation: 'tanh' }), layerNorm(), dense(3)], { seed: 8 });
    const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.2 }) });
    const ds = spiral({ n: 10, seed: 4 });
    await fit(net, ds, { epochs: 2, batchSize: 4, shuffle: false });
    expect(net.steps).toBe(6); // 4 + 4 + 2, twice
    const cpu = new ReferenceNetwork(model, 'cross_entropy', sgd({ lr: 0.2 }));
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const [from, count] of [
        [0, 4],
        [4, 4],
        [8, 2],
      ] as const) {
        cpu.step(ds.x.slice(from * 2, (from + count) * 2), ds.y.slice(from, from + count), count);
      }
    }
    const got = await net.parameters();
    for (const [name, w] of Object.entries(cpu.parameters())) {
      const r = allclose(got[name]!.data, w, { atol: 1e-5, rtol: 1e-4 });
      expect(r.ok, `${name}: ${r.detail}`).toBe(true);
    }
    await net.destroy();
  });
});

describe('checkpoints', () => {
  it('round-trip bit-exactly under PyTorch-style names, BatchNorm statistics included', async () => {
    const rt = await gpu();
    const model = sequential(2, [dense(8, { activation: 'relu' }), batchNorm(), dense(3)], { seed: 6 });
    const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.1 }) });
    await fit(net, spiral({ n: 40, seed: 2 }), { epochs: 2, batchSize: 8 });
    const bytes = await saveSafetensors(net);
    const other = await Network.compile(rt, sequential(2, [dense(8, { activation: 'relu' }), batchNorm(), dense(3)], { seed: 99 }), { loss: 'cross_entropy' });
    loadSafetensors(other, bytes);
    const [a, b] = [await net.parameters(), await other.parameters()];
    expect(Object.keys(a)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '3.weight', '3.bias']);
    for (const k of Object.keys(a)) expect(new Uint32Array(b[k]!.data.buffer)).toEqual(new Uint32Array(a[k]!.data.buffer));
    const [sa, sb] = [await net.state(), await other.state()];
    expect(Object.keys(sa)).toEqual(['2.running_mean', '2.running_var']);
    for (const k of Object.keys(sa)) expect(new Uint32Array(sb[k]!.data.buffer)).toEqual(new Uint32Array(sa[k]!.data.buffer));
    await net.destroy();
    await other.destroy();
  });

  it('a truncated or mismatched file is refused and the live model is untouched', async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, small(), { loss: 'cross_entropy' });
    const before = await net.parameters();
    const bytes = await saveSafetensors(net);
    expect(() => loadSafetensors(net, bytes.subarray(0, bytes.length - 10))).toThrow(CheckpointError);
    const wider = await Network.compile(rt, sequential(2, [dense(9, { activation: 'relu' }), dense(3)], { seed: 1 }), { loss: 'cross_entropy' });
    const widerBytes = await saveSafetensors(wider);
    expect(() => loadSafetensors(net, widerBytes)).toThrow(/tensor '0.weight' has shape \[9, 2\].*the model needs \[8, 2\]/);
    const after = await net.parameters();
    for (const k of Object.keys(before)) expect(after[k]!.data).toEqual(before[k]!.data);
    await net.destroy();
    await wider.destroy();
  });
});
