// The row softmax kernel (shaders/softmax.wgsl): every break-it case in both layouts against the float64 reference,
// the one-shot forms and their layout choice, typed errors before anything is allocated, and a row whose mask hides
// every column written as zeros rather than NaN.
import { afterAll, describe, expect, it } from 'vitest';
import { OptionError, ShapeError, Tensor, createRuntime, shaderSource, type Runtime } from '../src/index.js';
import {
  SOFTMAX_ROW_MAX_COLUMNS,
  SOFTMAX_SOFTWARE_ROW_MAX_COLUMNS,
  prepareSoftmaxForward,
  softmax,
  softmaxBackward,
  type SoftmaxLayout,
} from '../src/kernels/softmax.js';
import { softmaxBackward as refBackward, softmaxForward as refForward } from '../src/reference/softmax.js';
import { softmaxCases } from '../src/selftest/softmax-cases.js';
import { allclose, reductionTolerance } from '../src/util/allclose.js';
import { Rng } from '../src/util/rng.js';
import { allocatesNothing, rejectsEach } from './helpers/allocation.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

describe('row softmax against the CPU reference', () => itRunsCases(softmaxCases()));

describe('softmax one-shot forms', () => {
  it("'auto' gives a row an invocation up to the adapter's bound of columns, a workgroup beyond", async () => {
    const rt = await gpu();
    const rng = new Rng(5);
    const bound = rt.isSoftware ? SOFTMAX_SOFTWARE_ROW_MAX_COLUMNS : SOFTMAX_ROW_MAX_COLUMNS;
    for (const N of [bound, bound + 1]) {
      const R = 3;
      const x = rng.floats(R * N, -3, 3);
      const dy = rng.floats(R * N);
      const X = Tensor.from(rt, x, [R, N], 'x');
      const DY = Tensor.from(rt, dy, [R, N], 'dy');
      const y = await softmax(rt, X, { causal: true, T: 3, scale: 0.5 });
      const dx = await softmaxBackward(rt, y, DY, { causal: true, T: 3, scale: 0.5 });
      const wantY = refForward(x, R, N, { causal: true, T: 3, scale: 0.5 });
      const wantDx = refBackward(await y.read(), dy, R, N, { causal: true, T: 3, scale: 0.5 });
      for (const [got, want] of [
        [await y.read(), wantY],
        [await dx.read(), wantDx],
      ] as const) {
        const r = allclose(got, want, reductionTolerance(N));
        expect(r.ok, r.detail).toBe(true);
      }
      // The layout shows in the grid: 130 rows are 3 workgroups of 64 rows, or 130 of one row.
      const [wx, wy] = [Tensor.zeros(rt, [130, N], 'wx'), Tensor.zeros(rt, [130, N], 'wy')];
      const d = await prepareSoftmaxForward(rt, { x: wx, y: wy });
      expect(d.workgroups[0]).toBe(N <= bound ? 3 : 130);
      rt.release(d);
      for (const t of [X, DY, y, dx, wx, wy]) t.destroy();
    }
  });

  it('bad shapes and options are typed errors naming what was expected, before anything is allocated', async () => {
    const rt = await gpu();
    const x = Tensor.zeros(rt, [4, 3], 'x');
    const odd = Tensor.zeros(rt, [4, 2], 'odd');
    const flat = Tensor.zeros(rt, [12], 'flat');
    try {
      await allocatesNothing(rt, () => softmax(rt, flat), ShapeError, "softmax forward: 'x' must be a non-empty 2-D [rows, columns] tensor, got [12]");
      await allocatesNothing(rt, () => softmax(rt, x, { causal: true }), ShapeError, 'the 4 rows must be whole sequences of T = 3 queries');
      await allocatesNothing(rt, () => softmaxBackward(rt, x, odd), ShapeError, "softmax backward: 'dy' must have shape [4, 3], got [4, 2]");
      await rejectsEach(rt, [
        [() => softmax(rt, x, { scale: NaN }), OptionError, /softmax forward: scale must be a finite number, got NaN/],
        [() => softmax(rt, x, { T: 2 }), OptionError, /T \(queries per sequence\) applies only with causal: true/],
        [() => softmax(rt, x, { causal: true, T: 2.5 }), OptionError, /T \(queries per sequence\) must be a positive integer, got 2.5/],
        [() => softmax(rt, x, { layout: 'rows' as SoftmaxLayout }), OptionError, /layout must be 'auto', 'workgroup' or 'invocation', got "rows"/],
        [() => softmaxBackward(rt, x, x, { causal: 'yes' as unknown as boolean }), OptionError, /softmax backward: causal must be a boolean/],
      ]);
    } finally {
      for (const t of [x, odd, flat]) t.destroy();
    }
  });
});

describe('a row with no visible column', () => {
  const runtimes: Runtime[] = [];
  afterAll(() => runtimes.forEach((rt) => rt.destroy()));

  // The mask cannot hide a whole row (query t always sees key t), so the guard is reached through a shader whose
  // mask also hides the diagonal: query 0 then sees nothing.
  for (const layout of ['invocation', 'workgroup'] as const) {
    it(`is written as zeros, not NaN (${layout})`, async () => {
      const rt = await createRuntime();
      runtimes.push(rt);
      const from = 'min(row % params.T + 1u, params.N)';
      const code = shaderSource('softmax');
      expect(code).toContain(from);
      rt.registerShader('softmax', code.replace(from, 'min(row % params.T, params.N)'));
      const [R, N] = [8, 4];
      const x = new Rng(2).floats(R * N, -80, 80);
      const X = Tensor.from(rt, x, [R, N], 'x');
      const y = await (await softmax(rt, X, { causal: true, T: 4, layout })).read();
      expect(y.every(Number.isFinite), `y = ${Array.from(y)}`).toBe(true);
      for (const r of [0, 4]) expect(Array.from(y.subarray(r * N, r * N + N))).toEqual([0, 0, 0, 0]);
      // Row 1 then sees column 0 alone.
      expect(Array.from(y.subarray(N, 2 * N))).toEqual([1, 0, 0, 0]);
      const dy = Tensor.from(rt, new Rng(3).floats(R * N), [R, N], 'dy');
      const dx = await (await softmaxBackward(rt, Tensor.from(rt, y, [R, N], 'y'), dy, { causal: true, T: 4, layout })).read();
      expect(dx.every(Number.isFinite)).toBe(true);
      expect(Array.from(dx.subarray(0, N))).toEqual([0, 0, 0, 0]);
    });
  }
});
