import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectsEach } from './helpers/allocation.js';
import { OptionError, ShapeError, Tensor, conv2d, conv2dBackward, createRuntime, prepareConv2d, prepareConv2dBackward, type Runtime } from '../src/index.js';
import { CONV_VARIANTS, resolveConvVariant } from '../src/kernels/conv2d.js';
import { matmulSubgroupSize } from '../src/kernels/matmul.js';
import { CONV_SHAPES, convCases } from '../src/selftest/conv-cases.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

for (const variant of CONV_VARIANTS) {
  describe(`conv2d '${variant}' forward, dx, dw and db against the float64 reference`, () => itRunsCases(convCases(CONV_SHAPES, variant)));
}

// The gemm kernels use no optional feature: the same cases on a device made without subgroups.
describe("conv2d 'gemm' on every break-it case without the subgroups feature", () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime({ disableFeatures: ['subgroups'] });
  });
  afterAll(() => rt?.destroy());
  for (const c of convCases(CONV_SHAPES, 'gemm')) {
    it(`${c.kernel} ${c.shape}`, async () => {
      expect(rt.features.has('subgroups')).toBe(false);
      const r = await c.run(rt);
      expect(r.pass, r.message).toBe(true);
    });
  }
});

describe('conv2d variants', () => {
  it("runs the subgroup shaders on this adapter (lavapipe: 8-lane subgroups), and 'auto' picks the window kernel where it fits", async () => {
    const rt = await gpu();
    expect(matmulSubgroupSize(rt)).toBe(8);
    expect(resolveConvVariant(rt)).toBe('window');
    expect(() => resolveConvVariant(rt, 'im2col' as never)).toThrow(/unknown variant 'im2col'; expected auto or one of: gather, subgroup, window, gemm/);
    // LeNet: the first layer's forward (6 channels out) and the second's dx (6 in) take the window kernel; the second's
    // forward (16 out) and every dw the subgroup kernels.
    const shaders = async (x: number[], w: number[], padding: 'same' | 'valid') => {
      const [X, W, dx, dw] = [Tensor.zeros(rt, x), Tensor.zeros(rt, w), Tensor.zeros(rt, x), Tensor.zeros(rt, w)];
      const Y = Tensor.zeros(rt, [x[0]!, padding === 'same' ? x[1]! : x[1]! - 4, padding === 'same' ? x[2]! : x[2]! - 4, w[0]!]);
      const f = await prepareConv2d(rt, { x: X, w: W, y: Y }, { padding });
      const b = await prepareConv2dBackward(rt, { x: X, w: W, dy: Y, dx, dw }, { padding });
      const names = [f, ...b].map((d) => d.kernel.shader.name);
      for (const d of [f, ...b]) rt.release(d);
      for (const t of [X, W, Y, dx, dw]) t.destroy();
      return names;
    };
    expect(await shaders([1, 28, 28, 1], [6, 1, 5, 5], 'same')).toEqual(['conv2d_window', 'conv2d_window', 'conv2d_grad_weight_subgroup']);
    expect(await shaders([2, 14, 14, 6], [16, 6, 5, 5], 'valid')).toEqual(['conv2d_subgroup', 'conv2d_window', 'conv2d_grad_weight_subgroup']);
  });

  it("falls back to 'gather' without the subgroups feature, and the fallback passes the subgroup variant's cases", async () => {
    const rt = await createRuntime({ disableFeatures: ['subgroups'] });
    try {
      expect(resolveConvVariant(rt, 'subgroup')).toBe('gather');
      expect(resolveConvVariant(rt)).toBe('window');
      const x = Tensor.zeros(rt, [1, 5, 5, 2], 'x');
      const w = Tensor.zeros(rt, [3, 2, 3, 3], 'w');
      const y = Tensor.zeros(rt, [1, 3, 3, 3], 'y');
      for (const variant of ['subgroup', 'window', 'auto'] as const) {
        const d = await prepareConv2d(rt, { x, w, y }, { variant });
        expect(d.kernel.shader.name).toBe('conv2d');
        rt.release(d);
      }
      for (const c of [...convCases(CONV_SHAPES.slice(0, 3), 'subgroup'), ...convCases(CONV_SHAPES.slice(0, 2), 'window')]) {
        const r = await c.run(rt);
        expect(r.pass, r.message).toBe(true);
      }
    } finally {
      rt.destroy();
    }
  });
});

describe("conv2d 'auto' off software adapters", () => {
  it("picks 'gemm' for every pass on an adapter that is not a CPU implementation", async () => {
    const real = await gpu();
    expect(real.isSoftware).toBe(true);
    // This machine has no GPU: the same device, presented as one.
    const rt = Object.create(real, { isSoftware: { value: false } }) as Runtime;
    expect(resolveConvVariant(rt)).toBe('gemm');
    expect(resolveConvVariant(rt, 'window')).toBe('window');
    const [x, w, dx, dw] = [Tensor.zeros(rt, [1, 28, 28, 1]), Tensor.zeros(rt, [6, 1, 5, 5]), Tensor.zeros(rt, [1, 28, 28, 1]), Tensor.zeros(rt, [6, 1, 5, 5])];
    const y = Tensor.zeros(rt, [1, 28, 28, 6]);
    const made = [
      await prepareConv2d(rt, { x, w, y }, { padding: 'same' }),
      ...(await prepareConv2dBackward(rt, { x, w, dy: y, dx, dw }, { padding: 'same' })),
    ];
    expect(made.map((d) => d.kernel.shader.name)).toEqual(['conv2d_gemm', 'conv2d_gemm_grad_input', 'conv2d_gemm_grad_weight']);
    for (const d of made) rt.release(d);
    for (const t of [x, w, y, dx, dw]) t.destroy();
  });
});

describe('conv2d bad input', () => {
  it('is a typed error naming what was wrong, and allocates nothing', async () => {
    const rt = await gpu();
    const x = Tensor.zeros(rt, [2, 5, 5, 3], 'x');
    const w = Tensor.zeros(rt, [4, 3, 3, 3], 'w');
    const dy = Tensor.zeros(rt, [2, 3, 3, 4], 'dy');
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
    await rejectsEach(rt, bad);
    for (const t of [x, w, dy]) t.destroy();
  });
});
