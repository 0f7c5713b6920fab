// Pooling kernels against the CPU reference on the break-it geometries, and the wrappers' checks: a one-shot call
// with a bad shape or option throws a typed error naming it and allocates nothing.
import { describe, expect, it } from 'vitest';
import { OptionError, Rng, ShapeError, Tensor } from '../src/index.js';
import { activationGrad } from '../src/kernels/activation.js';
import {
  avgPool2d,
  avgPool2dBackward,
  globalAvgPool,
  globalAvgPoolBackward,
  maxPool2d,
  maxPool2dBackward,
  prepareMaxPool2d,
  prepareMaxPool2dBackward,
} from '../src/kernels/pool2d.js';
import { poolGeometry } from '../src/reference/pool2d.js';
import { poolCases } from '../src/selftest/pool-cases.js';
import { allocatesNothing } from './helpers/allocation.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

describe('pooling forward and backward against the CPU reference', () => itRunsCases(poolCases()));

describe('pooling wrappers refuse bad input before allocating', () => {
  it('shapes and options of every one-shot form', async () => {
    const rt = await gpu();
    const z = (...shape: number[]) => Tensor.zeros(rt, shape);
    const [x, flat, dy, wrongDy, nc, cn] = [z(2, 5, 7, 3), z(10, 3), z(2, 2, 3, 3), z(2, 3, 3, 3), z(2, 3), z(3, 2)];
    const k2 = { kernel: 2 };
    await allocatesNothing(rt, () => maxPool2d(rt, flat, k2), ShapeError, "'x' must be a non-empty NHWC image [N, H, W, C], got [10, 3]");
    await allocatesNothing(rt, () => maxPool2d(rt, x, { kernel: 0 }), OptionError, 'kernel must be a positive integer', 'got 0');
    await allocatesNothing(rt, () => maxPool2d(rt, x, { kernel: 8 }), ShapeError, 'larger than the padded input');
    await allocatesNothing(rt, () => avgPool2d(rt, x, { kernel: 2, padding: 2 }), OptionError, 'top padding 2 must be smaller than the window (2)');
    await allocatesNothing(rt, () => avgPool2d(rt, x, { kernel: 2, stride: 1.5 }), OptionError, 'stride');
    const yes = 'yes' as unknown as boolean;
    await allocatesNothing(rt, () => avgPool2d(rt, x, { ...k2, countIncludePad: yes }), OptionError, 'countIncludePad must be true or false, got "yes"');
    await allocatesNothing(rt, () => maxPool2dBackward(rt, x, wrongDy, k2), ShapeError, "'dy' must have shape [2, 2, 3, 3], got [2, 3, 3, 3]");
    await allocatesNothing(rt, () => avgPool2dBackward(rt, dy, [2, 5, 7], k2), ShapeError, "'input' must be a non-empty NHWC image");
    await allocatesNothing(rt, () => avgPool2dBackward(rt, wrongDy, [2, 5, 7, 3], k2), ShapeError, "'dy' must have shape [2, 2, 3, 3]");
    await allocatesNothing(rt, () => globalAvgPool(rt, flat), ShapeError, "'x' must be a non-empty NHWC image");
    await allocatesNothing(rt, () => globalAvgPoolBackward(rt, cn, [2, 5, 7, 3]), ShapeError, "'dy' must have shape [2, 3], got [3, 2]");
    await allocatesNothing(
      rt,
      () => maxPool2dBackward(rt, x, dy, { ...k2, gateActivation: 'gelu' }),
      OptionError,
      "gateActivation 'gelu' has no derivative as a function of its output",
    );
    const leaky = { ...k2, gateActivation: 'leaky_relu', slope: -0.5 } as const;
    await allocatesNothing(
      rt,
      () => maxPool2dBackward(rt, x, dy, leaky),
      OptionError,
      "gateActivation 'leaky_relu' has no derivative as a function of its output (slope -0.5)",
    );
    const swish = 'swish' as unknown as 'relu';
    await allocatesNothing(rt, () => maxPool2dBackward(rt, x, dy, { ...k2, gateActivation: swish }), OptionError, "unknown activation 'swish'");
    await expect(prepareMaxPool2d(rt, { x, y: nc }, k2)).rejects.toThrow(/'y' must have shape \[2, 2, 3, 3\], got \[2, 3\]/);
    for (const t of [x, flat, dy, wrongDy, nc, cn]) t.destroy();
  });

  it('max pooling backward: windows that do not overlap take the per-window entry, overlapping ones the gather', async () => {
    const rt = await gpu();
    const x = Tensor.zeros(rt, [2, 7, 6, 3]);
    // One invocation per pixel (output pixels for the cells, input pixels for the gather), all 3 channels in it.
    for (const [options, entry, invocations] of [
      [{ kernel: 2, padding: 1 }, 'max_backward_cells', 2 * 4 * 4],
      [{ kernel: 2, stride: 3 }, 'max_backward_cells', 2 * 2 * 2],
      [{ kernel: 3, stride: 2 }, 'max_backward', 2 * 7 * 6],
    ] as const) {
      const g = poolGeometry([2, 7, 6, 3], options);
      const dy = Tensor.zeros(rt, [2, g.OH, g.OW, 3]);
      const dx = Tensor.zeros(rt, [2, 7, 6, 3]);
      const d = await prepareMaxPool2dBackward(rt, { x, dy, dx }, options);
      expect(d.kernel.entry.name).toBe(entry);
      expect(d.workgroups[0] * d.workgroups[1] * d.workgroups[2]).toBe(Math.ceil(invocations / 64));
      rt.release(d);
      dy.destroy();
      dx.destroy();
    }
    x.destroy();
  });

  it('max pooling backward through ReLU equals the pooling backward then the activation backward, bit for bit', async () => {
    const rt = await gpu();
    const rng = new Rng(8300);
    // LeNet's first pooling (windows tiling the image) and windows leaving a row and a column uncovered.
    for (const [shape, options] of [
      [[5, 28, 28, 6], { kernel: 2 }],
      [[3, 9, 7, 5], { kernel: 2 }],
    ] as const) {
      const g = poolGeometry(shape, options);
      const x = Tensor.from(
        rt,
        Float32Array.from(rng.floats(g.N * g.H * g.W * g.C), (v) => Math.max(v, 0)),
        [...shape],
      );
      const dy = Tensor.from(rt, rng.floats(g.N * g.OH * g.OW * g.C), [g.N, g.OH, g.OW, g.C]);
      const fused = await maxPool2dBackward(rt, x, dy, { ...options, gateActivation: 'relu' });
      const pooled = await maxPool2dBackward(rt, x, dy, options);
      const twoSteps = await activationGrad(rt, x, pooled, { activation: 'relu', fromOutput: true });
      const [a, b] = [await fused.read(), await twoSteps.read()];
      expect(a.some((v) => v !== 0)).toBe(true);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `${shape.join('x')}`).toBe(true);
      for (const t of [x, dy, fused, pooled, twoSteps]) t.destroy();
    }
  });

  it('a global average of an image that is already 1x1 returns its pixels', async () => {
    const rt = await gpu();
    const x = Tensor.from(rt, [1, -2, 3, 0.5], [2, 1, 1, 2]);
    const y = await globalAvgPool(rt, x);
    expect(y.shape).toEqual([2, 2]);
    expect([...(await y.read())]).toEqual([1, -2, 3, 0.5]);
    x.destroy();
    y.destroy();
  });
});
