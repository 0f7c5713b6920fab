// What callers hand the training API is checked, whole, before anything is written: each problem is a
// DescentError naming what was wrong and what was expected, and a refused call leaves the network as it was,
// bit for bit. Also: rates checked per step, a failure message that tells the truth about the parameters,
// and checkpoints that bring their step counters back.
import { describe, expect, it } from 'vitest';
import { CheckpointError, DataError, OptionError, TrainingError } from '../src/core/errors.js';
import { spiral } from '../src/data/synthetic.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { batchNorm, dense } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { adam, sgd } from '../src/optim/index.js';
import { loadSafetensors, saveSafetensors } from '../src/train/checkpoint.js';
import { Network, type TensorRecord } from '../src/train/network.js';
import { TrainingSession } from '../src/train/session.js';
import { gpu } from './helpers/gpu.js';

const model = (seed = 5) => sequential(2, [dense(8, { activation: 'relu' }), batchNorm(), dense(3)], { seed });
const data = spiral({ n: 48, seed: 1 });
const compile = async (options: Partial<Parameters<typeof Network.compile>[2]> = {}, seed = 5) =>
  Network.compile(await gpu(), model(seed), { loss: 'cross_entropy', ...options });

/** Every parameter and BatchNorm statistic as raw bits, to compare before and after a refused call. */
async function bits(net: Network): Promise<Record<string, number[]>> {
  const all = { ...(await net.parameters()), ...(await net.state()) };
  return Object.fromEntries(Object.entries(all).map(([k, t]) => [k, Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length))]));
}

const counters = (net: Network) => [net.steps, net.optimizerSteps, net.completedSteps];

describe('load checks every tensor before writing any', () => {
  it('a plain Array, a Float64Array, NaN or Inf in one tensor: CheckpointError and nothing written', async () => {
    const net = await compile();
    const other = await compile({}, 99);
    // Values that differ from the live ones everywhere, so a partial write would show.
    const record: TensorRecord = { ...(await other.parameters()), ...(await other.state()) };
    const names = Object.keys(record);
    expect(names.length).toBeGreaterThanOrEqual(4);
    const last = names[names.length - 1]!;
    const before = await bits(net);
    const t = record[last]!;
    expect(last).toBe('2.running_var');
    const n = t.data.length;
    const withBad = (i: number, v: number) => Float32Array.from(t.data, (x, j) => (j === i ? v : x));
    const cases: [string, unknown, RegExp][] = [
      ['plain Array', Array.from(t.data), new RegExp(`tensor '2.running_var' has data an Array of ${n} values; expected a Float32Array of ${n} values`)],
      ['Float64Array', Float64Array.from(t.data), new RegExp(`has data a Float64Array of ${n} values; expected a Float32Array`)],
      ['NaN', withBad(1, NaN), /tensor '2.running_var' holds NaN at index 1; every value must be finite/],
      ['Inf', withBad(2, -Infinity), /holds -Infinity at index 2/],
    ];
    for (const [what, data, message] of cases) {
      const bad = { ...record, [last]: { shape: t.shape, data } } as TensorRecord;
      expect(() => net.load(bad), what).toThrow(CheckpointError);
      expect(() => net.load(bad), what).toThrow(message);
      expect(await bits(net), what).toEqual(before);
    }
    expect(() => net.load(null as unknown as TensorRecord)).toThrow(CheckpointError);
    expect(() => net.load(null as unknown as TensorRecord)).toThrow(/load: expected an object of named tensors .* got null/);
    expect(() => net.load({ ...record, '0.weight': null } as unknown as TensorRecord)).toThrow(
      /tensor '0.weight' is null; expected \{ shape: \[8, 2\], data: Float32Array \}/,
    );
    // The same record, sound, goes in whole.
    net.load(record);
    expect(await bits(net)).toEqual(await bits(other));
    await net.destroy();
    await other.destroy();
  });

  it('optimizer state with a NaN is refused and nothing written', async () => {
    const net = await compile({ optimizer: adam({ lr: 0.01 }) });
    await net.fit(data, { epochs: 1, batchSize: 16 });
    const state = await net.optimizerState();
    const before = JSON.stringify(Object.values(state).map((r) => Object.values(r).map((t) => Array.from(t.data))));
    const bad = structuredClone(state);
    for (const r of Object.values(bad)) for (const t of Object.values(r)) t.data.fill(1);
    bad.exp_avg!['0.bias']!.data[3] = NaN;
    expect(() => net.loadOptimizerState(bad, 3)).toThrow(/optimizer state 'exp_avg.0.bias' holds NaN at index 3/);
    const after = await net.optimizerState();
    expect(JSON.stringify(Object.values(after).map((r) => Object.values(r).map((t) => Array.from(t.data))))).toBe(before);
    expect(net.optimizerSteps).toBe(3);
    await net.destroy();
  });
});

describe('the public API answers bad input with typed errors', () => {
  it('fit and evaluate given no dataset, or plain Arrays for x or y: DataError', async () => {
    const net = await compile();
    for (const ds of [null, undefined, 42]) {
      await expect(net.fit(ds as never), String(ds)).rejects.toThrow(DataError);
      await expect(net.fit(ds as never), String(ds)).rejects.toThrow(/fit: expected a Dataset/);
      await expect(net.evaluate(ds as never), String(ds)).rejects.toThrow(/evaluate: expected a Dataset/);
    }
    await expect(net.fit({ ...data, x: Array.from(data.x) } as never)).rejects.toThrow(
      /fit: dataset 'spiral[^']*' has x = an Array of 96 values; expected a Float32Array \(Float32Array.from\(x\)\)/,
    );
    await expect(net.fit({ ...data, y: Float64Array.from(data.y) } as never)).rejects.toThrow(/has y = a Float64Array of 48 values; expected a Float32Array/);
    expect(() => new TrainingSession(net, { ...data, x: [] } as never)).toThrow(/TrainingSession: dataset 'spiral[^']*' has x = an Array/);
    await expect(net.fit(data, null as never)).rejects.toThrow(OptionError);
    expect(counters(net)).toEqual([0, 0, 0]);
    await net.destroy();
  });

  it('predict takes a Float32Array only: a plain Array or a Float64Array is a DataError, not NaN', async () => {
    const net = await compile();
    const x = data.x.subarray(0, 6);
    await expect(net.predict(Array.from(x) as never)).rejects.toThrow(DataError);
    await expect(net.predict(Array.from(x) as never)).rejects.toThrow(/predict: x: expected a Float32Array of row-major values, got an Array of 6 values/);
    await expect(net.predict(Float64Array.from(x) as never)).rejects.toThrow(/got a Float64Array of 6 values \(convert with Float32Array.from\)/);
    const out = await net.predict(x);
    expect(out.length).toBe(9);
    expect(out.every(Number.isFinite)).toBe(true);
    await net.destroy();
  });

  it('compile: an unknown loss, a non-optimizer, no options, zero pending reads: OptionError', async () => {
    const rt = await gpu();
    const m = model();
    await expect(Network.compile(rt, m, { loss: 'hinge' as never })).rejects.toThrow(OptionError);
    await expect(Network.compile(rt, m, { loss: 'hinge' as never })).rejects.toThrow(
      /compile: loss must be one of 'cross_entropy', 'mse', got the string "hinge"/,
    );
    await expect(Network.compile(rt, m, null as never)).rejects.toThrow(/compile: options must be an object/);
    await expect(Network.compile(rt, m, { loss: 'mse', optimizer: {} as never })).rejects.toThrow(OptionError);
    for (const bad of [0, -1, 1.5, NaN, '3']) {
      await expect(Network.compile(rt, m, { loss: 'mse', maxPendingReads: bad as never }), String(bad)).rejects.toThrow(
        /compile: maxPendingReads must be an integer >= 1/,
      );
      await expect(Network.compile(rt, m, { loss: 'mse', metricsEvery: bad as never }), String(bad)).rejects.toThrow(
        /compile: metricsEvery must be an integer >= 1/,
      );
    }
    const net = await Network.compile(rt, m, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.05 }), maxPendingReads: 1 });
    await expect(net.setOptimizer({} as never)).rejects.toThrow(OptionError);
    expect(net.optimizer.name).toBe('sgd');
    const r = await net.fit(data, { epochs: 1, batchSize: 4 });
    expect(r.epochs[0]!.samples).toBe(48);
    await net.destroy();
  });

  it('loadSafetensors takes an ArrayBuffer, a Node Buffer or any byte view; anything else is a CheckpointError', async () => {
    const src = await compile({}, 11);
    await src.fit(data, { epochs: 1, batchSize: 16 });
    const bytes = await saveSafetensors(src);
    const want = await bits(src);
    // A view at an offset inside a larger buffer, as Node's pooled Buffers are.
    const big = Buffer.alloc(bytes.length + 24);
    big.set(bytes, 13);
    const inputs: [string, unknown][] = [
      ['ArrayBuffer', bytes.slice().buffer],
      ['Buffer', Buffer.from(bytes)],
      ['Buffer view at offset 13', big.subarray(13, 13 + bytes.length)],
      ['DataView', new DataView(big.buffer, big.byteOffset + 13, bytes.length)],
    ];
    for (const [what, input] of inputs) {
      const net = await compile();
      loadSafetensors(net, input as Uint8Array);
      expect(await bits(net), what).toEqual(want);
      await net.destroy();
    }
    const net = await compile();
    for (const bad of [null, 'weights.safetensors', [1, 2, 3]]) {
      expect(() => loadSafetensors(net, bad as never)).toThrow(CheckpointError);
      expect(() => loadSafetensors(net, bad as never)).toThrow(/expected the file's bytes \(a Uint8Array, a Node Buffer or an ArrayBuffer\)/);
    }
    await net.destroy();
    await src.destroy();
  });

  it('a learning rate given as a number is a constant schedule; anything else not a function is an OptionError', async () => {
    const a = await compile({ optimizer: sgd({ lr: 0.01 }) });
    const b = await compile({ optimizer: sgd({ lr: 0.01 }) });
    await a.fit(data, { epochs: 1, batchSize: 8, learningRate: 0.1 });
    await b.fit(data, { epochs: 1, batchSize: 8, learningRate: () => 0.1 });
    expect(await bits(a)).toEqual(await bits(b));
    await expect(a.fit(data, { learningRate: 'fast' as never })).rejects.toThrow(
      /fit: learningRate must be a number or a function of the step, got the string "fast"/,
    );
    expect(() => new TrainingSession(a, data, { learningRate: {} as never })).toThrow(OptionError);
    await a.destroy();
    await b.destroy();
  });
});

describe("each step's learning rate is checked before the step is submitted", () => {
  it('1e39 (beyond f32), -1 or NaN: OptionError naming the step and the value, nothing of that step written', async () => {
    const net = await compile({ optimizer: sgd({ lr: 0.05 }) });
    const before = await bits(net);
    await expect(net.fit(data, { batchSize: 8, learningRate: 1e39 })).rejects.toThrow(
      /fit: learningRate: learning rate must be a finite number >= 0 and <= 3.4e38 \(f32\), got 1e\+39/,
    );
    await expect(net.fit(data, { batchSize: 8, learningRate: () => 1e39 })).rejects.toThrow(OptionError);
    await expect(net.fit(data, { batchSize: 8, learningRate: () => 1e39 })).rejects.toThrow(/step 0 \(0-based\): learning rate .* got 1e\+39/);
    expect(counters(net)).toEqual([0, 0, 0]);
    expect(await bits(net)).toEqual(before);
    for (const bad of [-1, NaN]) {
      await net.reset();
      const err = await net.fit(data, { batchSize: 8, shuffle: false, learningRate: (s) => (s === 3 ? bad : 0.05) }).catch((e: unknown) => e);
      expect(err, String(bad)).toBeInstanceOf(OptionError);
      expect((err as Error).message).toMatch(new RegExp(`step 2 \\(0-based\\): learning rate .* got ${bad}`));
      expect(net.steps, 'steps 0 and 1 ran; step 2 was refused').toBe(2);
    }
    const session = new TrainingSession(net, data, { batchSize: 8, learningRate: () => NaN });
    await expect(session.run({ steps: 1 })).rejects.toThrow(/step 2 \(0-based\): learning rate .* got NaN/);
    expect(net.steps).toBe(2);
    await net.destroy();
  });

  it('when an update overflows the parameters, the TrainingError says they are non-finite (not "from before the step")', async () => {
    const net = await Network.compile(await gpu(), sequential(2, [dense(8, { activation: 'relu' }), dense(3)], { seed: 3 }), {
      loss: 'cross_entropy',
      optimizer: sgd({ lr: 0.05 }),
      metricsEvery: 2,
    });
    // Inputs of size ~100 make weight gradients of that size: 1e38 times them is beyond f32.
    const big = { ...data, x: data.x.map((v) => v * 100) };
    const err = await net.fit(big, { epochs: 3, batchSize: 8, shuffle: false, learningRate: (s) => (s === 1 ? 1e38 : 0.05) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    const params = await net.parameters();
    expect(
      Object.values(params).some((t) => !t.data.every(Number.isFinite)),
      'the update of step 0 overflowed the parameters',
    ).toBe(true);
    const e = err as TrainingError;
    expect(e.step).toBe(1);
    expect(e.message).not.toMatch(/are those from before/);
    expect(e.message).toMatch(
      /training stopped at step 1: .*The parameters are already non-finite: an update before step 1 overflowed them \(step 0 ran with learning rate 1e\+38\)/,
    );
    expect(net.failure).toBe(e);
    await net.destroy();
  });
});

describe('a checkpoint brings back its step counters', () => {
  it('steps and the optimizer steps are restored, so a schedule goes on where it was', async () => {
    for (const optimizer of [adam({ lr: 0.01 }), sgd({ lr: 0.05 })]) {
      const a = await compile({ optimizer });
      await a.fit(data, { epochs: 1, batchSize: 8 });
      expect(counters(a)).toEqual([6, 6, 6]);
      const bytes = await saveSafetensors(a);
      const b = await compile({ optimizer }, 7);
      loadSafetensors(b, bytes);
      expect(counters(b), optimizer.name).toEqual([6, 6, 6]);
      const seen: number[] = [];
      await b.fit(data, { epochs: 1, batchSize: 8, learningRate: (s) => (seen.push(s), 0.01) });
      expect(seen, optimizer.name).toEqual([7, 8, 9, 10, 11, 12]);
      await a.destroy();
      await b.destroy();
    }
  });

  it('a file without counters leaves them; a malformed counter is a CheckpointError before anything is written', async () => {
    const a = await compile();
    await a.fit(data, { epochs: 1, batchSize: 8 });
    const { tensors, metadata } = decodeSafetensors(await saveSafetensors(a));
    const b = await compile({}, 7);
    await b.fit(data, { epochs: 1, batchSize: 16 });
    const before = await bits(b);
    for (const steps of ['x', '-1', '1.5', '']) {
      expect(() => loadSafetensors(b, encodeSafetensors(tensors, { ...metadata, steps })), steps).toThrow(
        new RegExp(`checkpoint metadata 'steps' is "${steps.replace('.', '\\.')}"; expected a non-negative integer`),
      );
    }
    expect(await bits(b)).toEqual(before);
    expect(counters(b)).toEqual([3, 3, 3]);
    loadSafetensors(b, encodeSafetensors(tensors, { format: 'pt' }));
    expect(await bits(b)).toEqual(await bits(a));
    expect(counters(b)).toEqual([3, 3, 3]);
    await a.destroy();
    await b.destroy();
  });
});
