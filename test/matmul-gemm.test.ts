// The 'gemm' matmul variant beyond the shared variant cases (test/matmul.test.ts): shapes at the edges of its
// 128 x 128 tiles and 8-deep double-buffered panels, each of its vec4/scalar load paths in each transposition,
// operands bound at an offset, a device with WebGPU's default limits (16 KiB of workgroup memory), its fixed
// workgroup, and where 'auto' picks it.
import { describe, expect, it } from 'vitest';
import {
  createRuntime,
  matmul,
  OptionError,
  pickMatmulVariant,
  prepareMatmul,
  reference as ref,
  reductionTolerance,
  allclose,
  Rng,
  Tensor,
} from '../src/index.js';
import { dawnInstance } from '../src/gpu/device.js';
import type { Runtime } from '../src/gpu/runtime.js';
import { gemmVectorLoads } from '../src/kernels/matmul-gemm.js';
import { MATMUL_VARIANTS } from '../src/kernels/matmul.js';
import { matmulBenchPlan } from '../src/bench/matmul.js';
import { gpu } from './helpers/gpu.js';

// 12 and 20: rows of whole vec4s (vec4 loads along k) in a last panel that K ends halfway through.
const KS = [1, 7, 8, 9, 12, 15, 16, 17, 20, 129];
const SIDES = [1, 127, 128, 129, 255];
const MODES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** [M, N, K, transA, transB]: every pair of sides (K and transposition rotating), and every K at 129 x 129 in every transposition. */
function edgeProducts(): [number, number, number, boolean, boolean][] {
  const out: [number, number, number, boolean, boolean][] = [];
  SIDES.forEach((M, i) => SIDES.forEach((N, j) => out.push([M, N, KS[(i * 5 + j) % KS.length]!, ...MODES[(i + j) % 4]!])));
  for (const K of KS) for (const [ta, tb] of MODES) out.push([129, 129, K, ta, tb]);
  // The load-path mixes the rest leaves out: one operand read as vec4s and not the other, or both.
  out.push([127, 129, 16, false, false], [129, 128, 16, false, false], [128, 127, 7, true, false], [128, 128, 9, true, false]);
  out.push([255, 128, 9, false, false], [129, 1, 8, true, true], [128, 127, 16, true, true]);
  return out;
}

/** Run op(A) . op(B) on gemm and compare with the reference; returns the load paths it took. */
async function check(rt: Runtime, [M, N, K, transA, transB]: [number, number, number, boolean, boolean], seed: number, wrap = (t: Tensor) => t) {
  const rng = new Rng(seed);
  const a = rng.floats(M * K);
  const b = rng.floats(K * N);
  const A = wrap(Tensor.from(rt, a, transA ? [K, M] : [M, K], 'A'));
  const B = wrap(Tensor.from(rt, b, transB ? [N, K] : [K, N], 'B'));
  const C = Tensor.zeros(rt, [M, N], 'C');
  try {
    const d = await prepareMatmul(rt, { a: A, b: B, c: C }, { variant: 'gemm', transA, transB });
    rt.run([d]);
    rt.release(d);
    const r = allclose(await C.read(), ref.matmul(a, b, M, N, K, { transA, transB }), reductionTolerance(K));
    const what = `${M}x${N}x${K}${transA ? ' A^T' : ''}${transB ? ' B^T' : ''} seed ${seed}`;
    expect(r.ok, `${what}: ${r.detail}`).toBe(true);
    // The load paths are uniforms of one pipeline; the label names the ones this dispatch took.
    const vec = gemmVectorLoads({ a: A, b: B }, { M, N, K }, { transA, transB });
    expect(d.label).toContain(`(${vec.a ? 'vec4' : 'scalar'} A, ${vec.b ? 'vec4' : 'scalar'} B)`);
    expect(d.kernel.key).not.toMatch(/VEC_|TRANS_/);
    return `${transA} ${transB} ${vec.a} ${vec.b}`;
  } finally {
    for (const t of [A, B, C]) t.destroy();
  }
}

describe('matmul_gemm at its tile and panel edges', () => {
  const products = edgeProducts();

  it('the shape set takes every possible load path (vec4 or scalar, each operand) in every transposition', () => {
    const paths = new Set(
      products.map(([M, N, K, transA, transB]) => {
        const fake = { offset: 0 } as Tensor;
        const vec = gemmVectorLoads({ a: fake, b: fake }, { M, N, K }, { transA, transB });
        return `${transA} ${transB} ${vec.a} ${vec.b}`;
      }),
    );
    // 4 transpositions x 4 mixes, less two: with B^T alone both operands' rows are K long, so both or neither.
    expect(paths.size).toBe(14);
    expect(paths.has('false true true false') || paths.has('false true false true')).toBe(false);
  });

  products.forEach((p, i) => {
    it(`${p[0]}x${p[1]}x${p[2]}${p[3] ? ' A^T' : ''}${p[4] ? ' B^T' : ''}`, async () => {
      await check(await gpu(), p, 500 + i);
    });
  });

  it('operands bound at an offset into a larger buffer (vec4 views included)', async () => {
    const rt = await gpu();
    // Each operand copied into a buffer 256 bytes in, the offset a parameter arena's views have.
    const at256 = (t: Tensor) => {
      const buf = rt.buffers.create(256 + t.size * 4, { label: `${t.label}+256` });
      const enc = rt.device.createCommandEncoder();
      enc.copyBufferToBuffer(t.buffer, 0, buf, 256, t.size * 4);
      rt.device.queue.submit([enc.finish()]);
      t.destroy();
      return new Tensor(rt, buf, t.shape, t.label, 256);
    };
    for (const [i, p] of (
      [
        [130, 132, 20, false, false],
        [132, 130, 24, true, true],
      ] as const
    ).entries()) {
      await check(rt, [...p], 900 + i, at256);
    }
  });
});

describe('matmul_gemm configuration', () => {
  it('runs on a device with WebGPU default limits (its panels fill the default 16 KiB of workgroup memory)', async () => {
    await gpu();
    const adapter = await dawnInstance()!.requestAdapter();
    const device = await adapter!.requestDevice({ label: 'default limits' });
    expect(device.limits.maxComputeWorkgroupStorageSize).toBe(16384);
    const rt = await createRuntime({ device, tuning: 'off' });
    try {
      await check(rt, [130, 129, 20, false, true], 77);
    } finally {
      rt.destroy();
      device.destroy();
    }
  });

  it('has a fixed 16 x 16 workgroup: another is an OptionError naming it', async () => {
    const rt = await gpu();
    const a = Tensor.zeros(rt, [4, 4]);
    try {
      for (const wg of [
        [8, 8],
        [16, 8],
      ] as [number, number][]) {
        const run = matmul(rt, a, a, { variant: 'gemm', workgroup: wg });
        await expect(run).rejects.toThrow(OptionError);
        await expect(run).rejects.toThrow(`gemm variant's workgroup is fixed at [16, 16], got [${wg.join(', ')}]`);
      }
    } finally {
      a.destroy();
    }
  });

  it("'auto' picks gemm on GPUs for medium and large products, tiled for small and skinny; CPU adapters keep theirs", async () => {
    const rt = await gpu();
    const gpuLike = { isSoftware: false, features: new Set(), adapterInfo: rt.adapterInfo } as unknown as Runtime;
    expect(pickMatmulVariant(gpuLike, 'large')).toBe('gemm');
    expect(pickMatmulVariant(gpuLike, 'medium')).toBe('gemm');
    expect(pickMatmulVariant(gpuLike, 'small')).toBe('tiled');
    expect(pickMatmulVariant(gpuLike, 'skinny')).toBe('tiled');
    // On a CPU adapter (lavapipe here) the defaults do not include gemm.
    for (const cls of ['small', 'skinny', 'medium', 'large'] as const) {
      if (rt.isSoftware) expect(pickMatmulVariant(rt, cls)).not.toBe('gemm');
      else expect(pickMatmulVariant(rt, cls)).toBe(pickMatmulVariant(gpuLike, cls));
    }
  });

  it('the benchmark runs every variant, gemm included, at 2048 and 4096 too on a GPU; a CPU adapter keeps its sizes', () => {
    expect(MATMUL_VARIANTS).toContain('gemm');
    const given = { sizes: [64, 128, 256, 512, 1024] };
    expect(matmulBenchPlan({ isSoftware: false }, given)).toEqual({ sizes: [64, 128, 256, 512, 1024, 2048, 4096], variantsUpTo: Infinity });
    expect(matmulBenchPlan({ isSoftware: true }, given)).toEqual({ sizes: [64, 128, 256, 512, 1024], variantsUpTo: 1024 });
    expect(matmulBenchPlan({ isSoftware: false }, { sizes: [256, 2048], gpuSizes: [] }).sizes).toEqual([256, 2048]);
    expect(matmulBenchPlan({ isSoftware: false }, { sizes: [4096, 64] }).sizes).toEqual([64, 2048, 4096]);
  });
});
