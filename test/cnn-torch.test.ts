// A CNN's training step against PyTorch: the parameters of test/fixtures/torch-models/cnn-step.json (written by
// scripts/torch-cnn-fixture.py) are loaded by their torch.nn.Sequential names and layouts, one SGD step is taken on
// the GPU, and its loss, gradients, parameters and BatchNorm running averages are compared with PyTorch's float64 step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { conv2d, flatten, maxPool2d } from '../src/nn/image-layers.js';
import { batchNorm, dense, relu } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { sgd } from '../src/optim/sgd.js';
import { Network } from '../src/train/network.js';
import { allclose } from '../src/util/allclose.js';
import { gpu } from './helpers/gpu.js';

interface Fixture {
  lr: number;
  batch: number;
  x: number[];
  y: number[];
  params: Record<string, { shape: number[]; data: number[] }>;
  loss: number;
  grads: Record<string, number[]>;
  after: Record<string, number[]>;
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'torch-models', 'cnn-step.json'), 'utf8')) as Fixture;

it('one SGD step of a CNN equals PyTorch: loss, gradients, parameters, running statistics', async () => {
  const rt = await gpu();
  const model = sequential(
    [12, 12, 1],
    [conv2d(4, 3, { padding: 'same', activation: 'relu' }), maxPool2d(2), conv2d(8, 3), batchNorm(), relu(), maxPool2d(4), flatten(), dense(10)],
  );
  const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: fixture.lr }), metricsEvery: 1 });
  net.load(Object.fromEntries(Object.entries(fixture.params).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])));
  const losses: number[] = [];
  net.onStep((m) => losses.push(m.loss));
  const plan = await net.plan(fixture.batch, true);
  await net.trainStep(plan, Float32Array.from(fixture.x), Float32Array.from(fixture.y));
  await net.flush();
  expect(Math.abs(losses[0]! - fixture.loss)).toBeLessThan(1e-5);
  const check = (label: string, got: Record<string, { data: Float32Array }>, want: Record<string, number[]>) => {
    for (const [name, w] of Object.entries(want)) {
      const r = allclose(got[name]!.data, w, { atol: 1e-5, rtol: 1e-4 });
      expect(r.ok, `${label} '${name}': ${r.detail}`).toBe(true);
    }
  };
  check('gradient', await net.gradients(), fixture.grads);
  const after = { ...(await net.parameters()), ...(await net.state()) };
  check('after the step', after, fixture.after);
  expect(Object.keys(fixture.after).sort()).toEqual(Object.keys(after).sort());
  await net.destroy();
}, 60_000);
