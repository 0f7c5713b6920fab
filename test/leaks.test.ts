// What failing calls and finished runtimes leave behind. A one-shot kernel call rejected for its input or
// options allocates nothing at all (not even for a moment: the pool's peak stays put) and throws a typed
// error naming the problem; one that fails later (a shader that does not compile) frees what it made. A
// destroyed runtime, once dropped, is garbage: nothing Descent or Dawn holds keeps it (or its device) alive.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DeviceError, OptionError, ShaderCompileError, ShapeError, Tensor, createRuntime, type Runtime } from '../src/index.js';
import { activation, activationGrad } from '../src/kernels/activation.js';
import { batchNormBackward, batchNormEval, batchNormTrain } from '../src/kernels/batchnorm.js';
import { accumulate, add, scale } from '../src/kernels/elementwise.js';
import { layerNorm, layerNormBackward, prepareLayerNormBackward } from '../src/kernels/layernorm.js';
import { mse, softmaxCrossEntropy } from '../src/kernels/loss.js';
import { matmul } from '../src/kernels/matmul.js';
import { sumRows } from '../src/kernels/reduce.js';
import { allocatesNothing } from './helpers/allocation.js';
import { gpu } from './helpers/gpu.js';

const z = (rt: Runtime, ...shape: number[]) => Tensor.zeros(rt, shape);

describe('a one-shot call rejected for its input allocates nothing', () => {
  it('100 failing 64x16 matmuls leave the pool as it was', async () => {
    const rt = await gpu();
    const [a, b] = [z(rt, 64, 16), z(rt, 16, 16)];
    const before = rt.buffers.stats();
    for (let i = 0; i < 100; i++) {
      await allocatesNothing(rt, () => matmul(rt, a, b, { activation: 'swish' as 'relu' }), OptionError, "unknown activation 'swish'");
      await allocatesNothing(rt, () => matmul(rt, a, b, { transB: true, activation: 'relu', out: b }), ShapeError, 'C must have shape [64, 16], got [16, 16]');
    }
    expect(rt.buffers.stats()).toEqual(before);
    [a, b].forEach((t) => t.destroy());
  });

  it('matmul: operands, output, bias, gate, variant, workgroup', async () => {
    const rt = await gpu();
    const [a, b, c, bias, gate] = [z(rt, 8, 4), z(rt, 4, 6), z(rt, 8, 5), z(rt, 5), z(rt, 8, 6)];
    await allocatesNothing(rt, () => matmul(rt, a, b, { transA: true }), ShapeError, 'inner dimensions 8 and 4');
    await allocatesNothing(rt, () => matmul(rt, a, b, { out: c }), ShapeError, 'C must have shape [8, 6]', '[8, 5]');
    await allocatesNothing(rt, () => matmul(rt, a, b, { bias }), ShapeError, 'bias must have shape [6]');
    await allocatesNothing(rt, () => matmul(rt, a, b, { activation: 'swish' as 'relu' }), OptionError, "unknown activation 'swish'");
    await allocatesNothing(rt, () => matmul(rt, a, b, { slope: NaN }), OptionError, 'slope');
    await allocatesNothing(rt, () => matmul(rt, a, b, { variant: 'fast' as 'naive' }), OptionError, "unknown matmul variant 'fast'");
    await allocatesNothing(rt, () => matmul(rt, a, b, { workgroup: [8, 8] }), OptionError, 'explicit variant');
    await allocatesNothing(rt, () => matmul(rt, a, b, { variant: 'naive', workgroup: [0, 8] }), OptionError, 'workgroup');
    await allocatesNothing(rt, () => matmul(rt, a, b, { gateActivation: 'relu' }), OptionError, 'no gate tensor');
    await allocatesNothing(rt, () => matmul(rt, a, b, { gate, gateActivation: 'gelu' }), OptionError, "'gelu'");
    await allocatesNothing(
      rt,
      () => matmul(rt, a, b, { gate, gateActivation: 'gelu', gateFrom: 'pre' as 'input' }),
      OptionError,
      "gateFrom must be 'output' or 'input'",
      'got "pre"',
    );
    [a, b, c, bias, gate].forEach((t) => t.destroy());
  });

  it('activation, activationGrad, add, scale, accumulate', async () => {
    const rt = await gpu();
    const [x, x5, y4] = [z(rt, 2, 2), z(rt, 5), z(rt, 4)];
    await allocatesNothing(rt, () => activation(rt, x, { activation: 'swish' as 'relu' }), OptionError, "unknown activation 'swish'", 'relu');
    await allocatesNothing(rt, () => activation(rt, x, { activation: 'leaky_relu', slope: Infinity }), OptionError, 'slope');
    await allocatesNothing(rt, () => activation(rt, x, { activation: 'relu', out: x5 }), ShapeError, "'y' has 5 elements, expected 4");
    await allocatesNothing(rt, () => activationGrad(rt, x, x5, { activation: 'tanh' }), ShapeError, "'dy' has 5 elements");
    await allocatesNothing(rt, () => activationGrad(rt, x, y4, { activation: 'gelu', fromOutput: true }), OptionError, 'gelu', 'from its output');
    await allocatesNothing(rt, () => add(rt, x, x5), ShapeError, "'a' has shape [2, 2] but 'b' has [5]");
    await allocatesNothing(rt, () => add(rt, x, x, x5), ShapeError, "'out' has [5]");
    await allocatesNothing(rt, () => scale(rt, x, NaN), OptionError, 'alpha must be a finite number, got NaN');
    await allocatesNothing(rt, () => scale(rt, x, 2, x5), ShapeError, "'out' has [5]");
    await allocatesNothing(rt, () => accumulate(rt, x, x5), ShapeError, "'out' has [5]");
    [x, x5, y4].forEach((t) => t.destroy());
  });

  it('norms, losses and column sums', async () => {
    const rt = await gpu();
    const [x, d3, d4, d5, wide] = [z(rt, 5, 3), z(rt, 3), z(rt, 4), z(rt, 5), z(rt, 5, 4)];
    const bn = { x, gamma: d3, beta: d3, runningMean: d3, runningVar: z(rt, 3) };
    await allocatesNothing(rt, () => batchNormTrain(rt, bn, { momentum: 1.5 }), OptionError, 'momentum', '[0, 1]');
    await allocatesNothing(rt, () => batchNormTrain(rt, { ...bn, runningVar: d4 }), ShapeError, "'runningVar'", '[3]');
    await allocatesNothing(rt, () => batchNormEval(rt, { ...bn, gamma: d4 }), ShapeError, "'gamma'");
    await allocatesNothing(rt, () => batchNormEval(rt, bn, { eps: -1 }), OptionError, 'eps');
    await allocatesNothing(rt, () => batchNormBackward(rt, { x, gamma: d3, mean: d3, rstd: d3, dy: wide }), ShapeError, "'dy' must have shape [5, 3]");
    await allocatesNothing(rt, () => layerNorm(rt, x, d4, d3), ShapeError, "'gamma'", '[3]');
    await allocatesNothing(rt, () => layerNorm(rt, x, d3, d3, { eps: NaN }), OptionError, 'eps');
    await allocatesNothing(rt, () => layerNorm(rt, x, d3, d3, { layout: 'rows' as 'auto' }), OptionError, 'layernorm: layout must be', 'got "rows"');
    await allocatesNothing(
      rt,
      () => layerNormBackward(rt, { x, gamma: d3, mean: d5, rstd: d5, dy: x }, { layout: 'rows' as 'auto' }),
      OptionError,
      "layernorm: layout must be 'auto', 'workgroup' or 'invocation'",
    );
    await allocatesNothing(rt, () => layerNormBackward(rt, { x, gamma: d3, mean: d5, rstd: d4, dy: x }), ShapeError, "'rstd' must have shape [5]");
    await allocatesNothing(
      rt,
      () => prepareLayerNormBackward(rt, { x, gamma: d3, mean: d5, rstd: d5, dy: x, dx: x }, { accumulate: 'yes' as unknown as boolean }),
      OptionError,
      'layernorm backward: accumulate must be true or false, got "yes"',
    );
    await allocatesNothing(rt, () => softmaxCrossEntropy(rt, x, d4), ShapeError, "'labels' must have shape [5]");
    await allocatesNothing(rt, () => softmaxCrossEntropy(rt, x, d5, { gradScale: NaN }), OptionError, 'gradScale');
    await allocatesNothing(
      rt,
      () => softmaxCrossEntropy(rt, x, d5, { layout: 'rows' as 'auto' }),
      OptionError,
      'softmax_cross_entropy: layout must be',
      'got "rows"',
    );
    await allocatesNothing(rt, () => mse(rt, x, wide), ShapeError, "'target' must have shape [5, 3]");
    await allocatesNothing(rt, () => sumRows(rt, x, d4), ShapeError, "'out' must have shape [3]");
  });
});

describe('a one-shot call that fails after its checks', () => {
  it('frees its outputs when the shader does not compile', async () => {
    const rt = await createRuntime({ tuning: 'off' });
    try {
      // The real shader's interface (overrides, bindings), with a type error in its body.
      rt.registerShader(
        'activation',
        [
          'override ACT: u32 = 0u;',
          'override WG: u32 = 256u;',
          'struct Params { n: u32, slope: f32, }',
          '@group(0) @binding(0) var<uniform> params: Params;',
          '@group(0) @binding(1) var<storage, read> x: array<f32>;',
          '@group(0) @binding(2) var<storage, read_write> y: array<f32>;',
          '@compute @workgroup_size(WG) fn main() { let bad: u32 = 1.5; y[0] = x[0] * params.slope; }',
        ].join('\n'),
      );
      const x = z(rt, 4, 4);
      const before = rt.buffers.stats();
      await expect(activation(rt, x, { activation: 'relu' })).rejects.toBeInstanceOf(ShaderCompileError);
      expect(rt.buffers.stats()).toEqual(before);
    } finally {
      rt.destroy();
    }
  });
});

// The collector, callable without starting Node with --expose-gc: the flag set at run time holds for new contexts.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** A runtime that compiled and ran a kernel, then was destroyed; only a weak reference to it leaves. */
async function usedAndDestroyed(): Promise<WeakRef<Runtime>> {
  const rt = await createRuntime({ tuning: 'off' });
  const a = Tensor.from(rt, [1, 2, 3, 4, 5, 6], [2, 3]);
  await (await matmul(rt, a, a, { transB: true, activation: 'relu' })).read();
  rt.destroy();
  return new WeakRef(rt);
}

describe('runtimes created and destroyed', () => {
  it('are collected: none stays reachable once dropped', async () => {
    const refs: WeakRef<Runtime>[] = [];
    for (let i = 0; i < 4; i++) refs.push(await usedAndDestroyed());
    // Dawn settles a destroyed device's promises on its own event loop; give it turns between collections.
    for (let i = 0; i < 50 && refs.some((r) => r.deref()); i++) {
      await new Promise((r) => setTimeout(r, 20));
      collect();
    }
    expect(refs.filter((r) => r.deref() !== undefined).length, 'destroyed runtimes still reachable').toBe(0);
  }, 60_000);

  it('still report what the GPU rejected at submit', async () => {
    const rt = await createRuntime({ tuning: 'off' });
    try {
      const [gone, dst] = [rt.buffers.create(16), rt.buffers.create(16)];
      rt.buffers.free(gone);
      const enc = rt.device.createCommandEncoder();
      enc.copyBufferToBuffer(gone, 0, dst, 0, 16);
      rt.device.queue.submit([enc.finish()]);
      const err = await rt.sync().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as Error).message).toMatch(/the GPU reported 1 error/);
    } finally {
      rt.destroy();
    }
  });
});
