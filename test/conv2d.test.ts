import { describe, expect, it } from 'vitest';
import { OptionError, ShapeError, Tensor, conv2d, conv2dBackward, createRuntime, prepareConv2d, prepareConv2dBackward } from '../src/index.js';
import { CONV_VARIANTS, resolveConvVariant } from '../src/kernels/conv2d.js';
import { matmulSubgroupSize } from '../src/kernels/matmul.js';
import { CONV_SHAPES, convCases } from '../src/selftest/conv-cases.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

for (const variant of CONV_VARIANTS) {
  describe(`conv2d '${variant}' forward, dx, dw and db against the float64 reference`, () => itRunsCases(convCases(CONV_SHAPES, variant)));
}

describe('conv2d variants', () => {
  it("runs the subgroup shaders on this adapter (lavapipe: 8-lane subgroups), and 'auto' picks them", async () => {
    const rt = await gpu();
    expect(matmulSubgroupSize(rt)).toBe(8);
    expect(resolveConvVariant(rt)).toBe('subgroup');
    expect(() => resolveConvVariant(rt, 'im2col' as never)).toThrow(/unknown variant 'im2col'; expected auto or one of: gather, subgroup/);
  });

  it("falls back to 'gather' without the subgroups feature, and the fallback passes the subgroup variant's cases", async () => {
    const rt = await createRuntime({ disableFeatures: ['subgroups'] });
    try {
      expect(resolveConvVariant(rt, 'subgroup')).toBe('gather');
      expect(resolveConvVariant(rt)).toBe('gather');
      const x = Tensor.zeros(rt, [1, 5, 5, 2], 'x');
      const w = Tensor.zeros(rt, [3, 2, 3, 3], 'w');
      const y = Tensor.zeros(rt, [1, 3, 3, 3], 'y');
      const d = await prepareConv2d(rt, { x, w, y }, { variant: 'subgroup' });
      expect(d.kernel.shader.name).toBe('conv2d');
      rt.release(d);
      for (const c of convCases(CONV_SHAPES.slice(0, 3), 'subgroup')) {
        const r = await c.run(rt);
        expect(r.pass, r.message).toBe(true);
      }
    } finally {
      rt.destroy();
    }
  });
});

describe('conv2d bad input', () => {
  it('is a typed error naming what was wrong, and allocates nothing', async () => {
    const rt = await gpu();
    const x = Tensor.zeros(rt, [2, 5, 5, 3], 'x');
    const w = Tensor.zeros(rt, [4, 3, 3, 3], 'w');
    const dy = Tensor.zeros(rt, [2, 3, 3, 4], 'dy');
    const before = rt.buffers.stats();
    const bad: [() => Promise<unknown>, typeof ShapeError | typeof OptionError, RegExp][] = [
      [() => conv2d(rt, x, Tensor.view(rt, w.buffer, [4, 2, 3, 3], 0)), ShapeError, /'w' \[4, 2, 3, 3\] must be \[OC >= 1, C = 3/],
      [() => conv2d(rt, Tensor.view(rt, x.buffer, [50, 3], 0), w), ShapeError, /'x' must be NHWC/],
      [() => conv2d(rt, x, w, { bias: Tensor.view(rt, w.buffer, [3], 0) }), ShapeError, /'bias' must have shape \[4\]/],
      [() => conv2d(rt, x, w, { stride: 0 }), OptionError, /stride.*got 0/],
      [() => conv2d(rt, x, w, { activation: 'swish' as never }), OptionError, /unknown activation 'swish'/],
      [() => conv2d(rt, x, w, { dilation: 3 }), ShapeError, /larger than the padded input/],
      [() => conv2dBackward(rt, { x, w, dy: Tensor.view(rt, dy.buffer, [2, 3, 3, 3], 0) }), ShapeError, /'dy' must have shape \[2, 3, 3, 4\]/],
      [() => conv2dBackward(rt, { x, w, dy }, { weightChunk: 0 }), OptionError, /weightChunk/],
      [() => prepareConv2dBackward(rt, { x, w, dy, dw: w }, { weightChunk: 5 }), ShapeError, /needs a 'dwPartial' scratch of shape \[4, 108\]/],
    ];
    for (const [f, type, message] of bad) {
      const err = await f().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(type);
      expect(String(err)).toMatch(message);
    }
    expect(rt.buffers.stats()).toEqual(before);
    for (const t of [x, w, dy]) t.destroy();
  });
});
