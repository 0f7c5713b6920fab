// What an application embedding Descent relies on: a device it already has, adopted and left open; the library's
// own parameters/load round trip on a model with BatchNorm.
import { describe, expect, it } from 'vitest';
import { batchNorm, CheckpointError, compile, createRuntime, dense, OptionError, sequential, sgd, type Runtime } from '../src/index.js';
import { dawnInstance } from '../src/gpu/device.js';
import { gpu } from './helpers/gpu.js';

/** A device opened by the application itself, on the same Dawn instance the tests use. */
async function appDevice(): Promise<GPUDevice> {
  await gpu();
  const adapter = await dawnInstance()!.requestAdapter();
  if (!adapter) throw new Error('Dawn returned no adapter');
  return adapter.requestDevice({ label: 'the app' });
}

/** Round-trips four floats through a buffer, a copy and a mapped read: throws if the device is unusable. */
async function deviceStillWorks(device: GPUDevice): Promise<number[]> {
  const src = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const dst = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  device.queue.writeBuffer(src, 0, Float32Array.of(1, 2, 3, 4));
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, dst, 0, 16);
  device.queue.submit([enc.finish()]);
  await dst.mapAsync(GPUMapMode.READ);
  const out = [...new Float32Array(dst.getMappedRange().slice(0))];
  dst.unmap();
  src.destroy();
  dst.destroy();
  return out;
}

describe('createRuntime({ device })', () => {
  it('trains on an adopted device and leaves it open after rt.destroy()', async () => {
    const device = await appDevice();
    const rt: Runtime = await createRuntime({ device, tuning: 'off' });
    expect(rt.device).toBe(device);
    const model = sequential(2, [dense(8, { activation: 'relu' }), dense(2)], { seed: 3 });
    const net = await compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.1 }) });
    const x = Float32Array.from({ length: 64 }, (_, i) => ((i * 37) % 11) / 11 - 0.5);
    const y = Float32Array.from({ length: 32 }, (_, i) => (x[2 * i]! > 0 ? 1 : 0));
    const ds = { name: 'half-plane', x, y, n: 32, inputDim: 2, task: 'classification' as const, classes: 2, outputDim: 2 };
    const { epochs } = await net.fit(ds, { epochs: 3, batchSize: 8 });
    expect(epochs).toHaveLength(3);
    expect(Number.isFinite(epochs[2]!.loss)).toBe(true);
    rt.destroy();
    expect(rt.alive).toBe(false);
    expect(await deviceStillWorks(device)).toEqual([1, 2, 3, 4]);
    device.destroy();
  });

  it('still destroys a device it opened itself', async () => {
    const rt = await createRuntime({ tuning: 'off' });
    const lost = rt.device.lost.then((info) => info.reason);
    rt.destroy();
    expect(await lost).toBe('destroyed');
  });

  it('refuses something that is not a GPUDevice with an OptionError', async () => {
    await expect(createRuntime({ device: {} as GPUDevice })).rejects.toThrow(OptionError);
    await expect(createRuntime({ device: {} as GPUDevice })).rejects.toThrow(/'device' must be a GPUDevice/);
  });
});

describe('net.load(await net.parameters()) with BatchNorm', () => {
  const model = () => sequential(4, [dense(6), batchNorm(), dense(3)], { seed: 5 });

  it('is a CheckpointError that says to add net.state()', async () => {
    const net = await compile(await gpu(), model(), { loss: 'cross_entropy' });
    const params = await net.parameters();
    const err = (() => {
      try {
        net.load(params);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err!.message).toContain("'1.running_mean', '1.running_var'");
    expect(err!.message).toContain('{ ...(await net.parameters()), ...(await net.state()) }');
    expect(err!.message).toContain('{ partial: true }');
  });

  it('round-trips parameters and state, and loads parameters alone with { partial: true }', async () => {
    const rt = await gpu();
    const a = await compile(rt, model(), { loss: 'cross_entropy' });
    const b = await compile(rt, sequential(4, [dense(6), batchNorm(), dense(3)], { seed: 9 }), { loss: 'cross_entropy' });
    const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
    const ds = {
      name: 'sin',
      x,
      y: Float32Array.from({ length: 10 }, (_, i) => i % 3),
      n: 10,
      inputDim: 4,
      task: 'classification' as const,
      classes: 3,
      outputDim: 3,
    };
    await a.fit(ds, { epochs: 2, batchSize: 5 });
    b.load({ ...(await a.parameters()), ...(await a.state()) });
    expect(await b.predict(x)).toEqual(await a.predict(x));
    const c = await compile(rt, model(), { loss: 'cross_entropy' });
    const before = await c.state();
    c.load(await a.parameters(), { partial: true });
    expect(await c.parameters()).toEqual(await a.parameters());
    expect(await c.state()).toEqual(before);
  });
});
