// The `descent` command line, run as a user would: a separate Node process through bin/descent.js.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { descent } from './helpers/descent.js';
import { decodeSafetensors } from '../src/io/safetensors.js';

describe('descent train', () => {
  it('documents its options with --help', async () => {
    const r = await descent('train', '--help');
    expect(r.code).toBe(0);
    for (const opt of ['--dataset', '--model', '--hidden', '--batch', '--epochs', '--optimizer', '--lr', '--schedule', '--save']) expect(r.out).toContain(opt);
    expect(r.out).toMatch(/mlp or lenet/);
  }, 180_000);

  it('trains the LeNet CNN on MNIST images with --model lenet and saves its conv weights', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'descent-')), 'lenet.safetensors');
    const r = await descent('train', '--model', 'lenet', '--train-size', '512', '--test-size', '256', '--epochs', '2', '--quiet', '--save', file);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/model: lenet .*\(61706 parameters\), 512 training \/ 256 test examples/);
    expect(r.out).toMatch(/epoch 2\/2: loss [\d.]+, train accuracy/);
    const acc = Number(/test accuracy ([\d.]+)%/.exec(r.out)?.[1]);
    // Ten classes: chance is 10%.
    expect(acc).toBeGreaterThan(30);
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(file)));
    expect(tensors['0.weight']!.shape).toEqual([6, 1, 5, 5]);
    expect(tensors['3.weight']!.shape).toEqual([16, 6, 5, 5]);
    // Names follow torch.nn.Sequential, where each ReLU is a module of its own.
    expect(tensors['11.weight']!.shape).toEqual([10, 84]);
  }, 180_000);

  it('trains on the GPU, reports test accuracy and samples/s, and saves a loadable checkpoint', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'descent-')), 'xor.safetensors');
    const r = await descent(
      'train',
      '--dataset',
      'xor',
      '--hidden',
      '16',
      '--batch',
      '16',
      '--epochs',
      '20',
      '--lr',
      '0.3',
      '--samples',
      '400',
      '--save',
      file,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/adapter: /);
    expect(r.out).toMatch(/model: 2-16-2 \(82 parameters\)/);
    const acc = Number(/test accuracy ([\d.]+)%/.exec(r.out)?.[1]);
    expect(acc).toBeGreaterThan(90);
    expect(r.out).toMatch(/\d+ samples\/s overall/);
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(file)));
    expect(Object.keys(tensors)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(tensors['0.weight']!.shape).toEqual([16, 2]);
    expect(metadata.producer).toBe('descent');
  }, 180_000);

  it('rejects bad options with the option named and exit code 2', async () => {
    const bad = await descent('train', '--batch', 'zero');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--batch must be an integer >= 1, got 'zero'/);
    const unknown = await descent('train', '--learning-rate', '0.1');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown option --learning-rate/);
    const model = await descent('train', '--model', 'resnet');
    expect(model.code).toBe(2);
    expect(model.err).toMatch(/--model must be one of mlp, lenet, got 'resnet'/);
    const lenetXor = await descent('train', '--model', 'lenet', '--dataset', 'xor');
    expect(lenetXor.code).toBe(2);
    expect(lenetXor.err).toMatch(/--model lenet needs --dataset mnist/);
    const big = await descent('train', '--dataset', 'moons', '--samples', '100', '--batch', '500');
    expect(big.code).toBe(1);
    expect(big.err).toMatch(/batch size must be an integer from 1 to the dataset size \(80\), got 500/);
  }, 180_000);
});
