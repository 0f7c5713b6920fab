// PyTorch as a second reference: the fixtures in test/fixtures/torch/ (written by scripts/torch-fixtures.py, PyTorch
// computing in float64 from float32 inputs) against the CPU references and the GPU kernels of convolution and pooling.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reference as ref, reductionTolerance, allclose, Tensor, type Runtime, type Tolerance } from '../src/index.js';
import { conv2d, conv2dBackward } from '../src/kernels/conv2d.js';
import { avgPool2d, avgPool2dBackward, globalAvgPool, globalAvgPoolBackward, maxPool2d, maxPool2dBackward } from '../src/kernels/pool2d.js';
import type { Conv2dGeometry, Padding } from '../src/reference/conv-geometry.js';
import { gpu } from './helpers/gpu.js';

type Nhwc = [number, number, number, number];

interface ConvFixture {
  name: string;
  input: Nhwc;
  kernel: [number, number];
  OC: number;
  stride: [number, number];
  padding: Padding;
  dilation: [number, number];
  pads: number[];
  OH: number;
  OW: number;
  x: number[];
  w: number[];
  bias: number[];
  dy: number[];
  y: number[];
  dx: number[];
  dw: number[];
  db: number[];
}

interface PoolFixture {
  name: string;
  op: 'max' | 'avg' | 'global';
  input: Nhwc;
  kernel: [number, number];
  stride: [number, number];
  padding: Padding;
  countIncludePad?: boolean;
  pads: number[];
  OH: number;
  OW: number;
  x: number[];
  dy: number[];
  y: number[];
  dx: number[];
}

const load = <T>(file: string): T[] => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'torch', file), 'utf8')).cases as T[];
const CONV = load<ConvFixture>('conv2d.json');
const POOL = load<PoolFixture>('pool2d.json');

/** The CPU references against PyTorch: both float64 from the same float32 inputs, so only summation order differs. */
const CPU_TOL: Tolerance = { atol: 1e-9, rtol: 1e-5 };

function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance) {
  const r = allclose(got, want, tol);
  expect(r.ok, `${what}: ${r.detail}`).toBe(true);
}

const resolved = (g: Conv2dGeometry) => [g.padTop, g.padBottom, g.padLeft, g.padRight, g.OH, g.OW];
const f32 = (v: number[]) => Float32Array.from(v);

describe('the fixtures', () => {
  it('cover every kind of case, within ~300 KB', () => {
    expect(CONV.length).toBeGreaterThanOrEqual(6);
    expect(POOL.map((c) => c.op)).toEqual(expect.arrayContaining(['max', 'avg', 'global']));
    expect(POOL.filter((c) => c.op === 'avg').map((c) => c.countIncludePad)).toEqual(expect.arrayContaining([true, false]));
    const bytes = ['conv2d.json', 'pool2d.json'].map((f) => readFileSync(join(import.meta.dirname, 'fixtures', 'torch', f)).length);
    expect(bytes.reduce((a, b) => a + b)).toBeLessThan(300_000);
  });

  it('the tie cases hold many windows with several maxima, so they test the tie rule', () => {
    const ties = POOL.filter((c) => c.name.includes('ties'));
    expect(ties.length).toBeGreaterThan(0);
    for (const c of ties) {
      const g = ref.poolGeometry(c.input, c);
      let windows = 0;
      let tied = 0;
      for (let n = 0; n < g.N; n++)
        for (let oh = 0; oh < g.OH; oh++)
          for (let ow = 0; ow < g.OW; ow++)
            for (let ch = 0; ch < g.C; ch++) {
              const values: number[] = [];
              for (let h = oh * g.strideH - g.padTop; h < oh * g.strideH - g.padTop + g.KH; h++)
                for (let w = ow * g.strideW - g.padLeft; w < ow * g.strideW - g.padLeft + g.KW; w++)
                  if (h >= 0 && h < g.H && w >= 0 && w < g.W) values.push(c.x[((n * g.H + h) * g.W + w) * g.C + ch]!);
              windows++;
              if (values.filter((v) => v === Math.max(...values)).length > 1) tied++;
            }
      expect(tied, c.name).toBeGreaterThan(windows / 4);
    }
  });
});

describe('CPU references against PyTorch', () => {
  for (const c of CONV) {
    it(`conv2d ${c.name}`, () => {
      const g = ref.convGeometry(c.input, c.kernel, c);
      expect(resolved(g)).toEqual([...c.pads, c.OH, c.OW]);
      expectClose('y', ref.conv2dForward(f32(c.x), f32(c.w), g, c.OC, { bias: f32(c.bias) }), c.y, CPU_TOL);
      const back = ref.conv2dBackward(f32(c.x), f32(c.w), f32(c.dy), g, c.OC);
      expectClose('dx', back.dx, c.dx, CPU_TOL);
      expectClose('dw', back.dw, c.dw, CPU_TOL);
      expectClose('db', back.db, c.db, CPU_TOL);
    });
  }
  for (const c of POOL) {
    it(`pool2d ${c.name}`, () => {
      const x = f32(c.x);
      const dy = f32(c.dy);
      if (c.op === 'global') {
        expectClose('y', ref.globalAvgPool(x, c.input), c.y, CPU_TOL);
        expectClose('dx', ref.globalAvgPoolBackward(dy, c.input), c.dx, CPU_TOL);
        return;
      }
      const g = ref.poolGeometry(c.input, c);
      expect(resolved(g)).toEqual([...c.pads, c.OH, c.OW]);
      const max = c.op === 'max';
      expectClose('y', max ? ref.maxPool2d(x, g) : ref.avgPool2d(x, g, c), c.y, CPU_TOL);
      expectClose('dx', max ? ref.maxPool2dBackward(x, dy, g) : ref.avgPool2dBackward(dy, g, c), c.dx, CPU_TOL);
    });
  }
});

/** Upload each array, run `body`, read back every tensor it returns, and free everything. */
async function onGpu(rt: Runtime, inputs: Record<string, [number[], number[]]>, body: (t: Record<string, Tensor>) => Promise<Record<string, Tensor>>) {
  const t = Object.fromEntries(Object.entries(inputs).map(([k, [data, shape]]) => [k, Tensor.from(rt, data, shape, k)]));
  const out: Record<string, Tensor> = {};
  try {
    Object.assign(out, await body(t));
    return Object.fromEntries(await Promise.all(Object.entries(out).map(async ([k, v]) => [k, await v.read()] as const)));
  } finally {
    for (const v of [...Object.values(t), ...Object.values(out)]) v.destroy();
  }
}

describe('GPU kernels against PyTorch', () => {
  for (const c of CONV) {
    it(`conv2d ${c.name}`, async () => {
      const [N, , , C] = c.input;
      const [KH, KW] = c.kernel;
      const got = await onGpu(
        await gpu(),
        { x: [c.x, c.input], w: [c.w, [c.OC, C, KH, KW]], bias: [c.bias, [c.OC]], dy: [c.dy, [N, c.OH, c.OW, c.OC]] },
        async ({ x, w, bias, dy }) => ({
          y: await conv2d(await gpu(), x!, w!, { ...c, bias }),
          ...(await conv2dBackward(await gpu(), { x: x!, w: w!, dy: dy! }, c)),
        }),
      );
      const pixels = N * c.OH * c.OW;
      expectClose('y', got.y!, c.y, reductionTolerance(C * KH * KW));
      expectClose('dx', got.dx!, c.dx, reductionTolerance(c.OC * KH * KW));
      expectClose('dw', got.dw!, c.dw, reductionTolerance(pixels));
      expectClose('db', got.db!, c.db, reductionTolerance(pixels));
    });
  }
  for (const c of POOL) {
    it(`pool2d ${c.name}`, async () => {
      const rt = await gpu();
      const [N, H, W, C] = c.input;
      const global = c.op === 'global';
      const dyShape = global ? [N, C] : [N, c.OH, c.OW, C];
      const got = await onGpu(rt, { x: [c.x, c.input], dy: [c.dy, dyShape] }, async ({ x, dy }) => {
        if (global) return { y: await globalAvgPool(rt, x!), dx: await globalAvgPoolBackward(rt, dy!, c.input) };
        if (c.op === 'max') return { y: await maxPool2d(rt, x!, c), dx: await maxPool2dBackward(rt, x!, dy!, c) };
        return { y: await avgPool2d(rt, x!, c), dx: await avgPool2dBackward(rt, dy!, c.input, c) };
      });
      const K = global ? H * W : c.kernel[0] * c.kernel[1];
      expectClose('y', got.y!, c.y, reductionTolerance(K));
      expectClose('dx', got.dx!, c.dx, reductionTolerance(K));
    });
  }
});
