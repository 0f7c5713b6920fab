// Per-adapter matmul tuning: a choice per shape class, cached and reused, pinnable, and every candidate it
// may pick computes the same products as the reference.
import { describe, expect, it } from 'vitest';
import {
  TUNING_CANDIDATES,
  tuningCandidates,
  Tensor,
  autoMatmulChoice,
  matmul,
  matmulShapeClass,
  matmulSubgroupSize,
  pinMatmul,
  reference as ref,
  reductionTolerance,
  allclose,
  tuneMatmul,
  type MatmulTuning,
  type TuningStore,
  Rng,
  shaderSource,
} from '../src/index.js';
import { gpu } from './helpers/gpu.js';

const memoryStore = (): TuningStore & { saved: MatmulTuning[] } => {
  const saved: MatmulTuning[] = [];
  return {
    saved,
    load: async (key) => saved.find((t) => t.key === key) ?? null,
    save: async (t) => void saved.push(t),
  };
};

describe('matmul autotuning', () => {
  it('classifies shapes', () => {
    expect(matmulShapeClass(8, 8, 8)).toBe('small');
    expect(matmulShapeClass(1000, 10, 784)).toBe('skinny');
    expect(matmulShapeClass(128, 128, 128)).toBe('medium');
    expect(matmulShapeClass(512, 512, 512)).toBe('large');
  });

  it('measures every candidate per slot, installs the fastest, caches it and reuses the cache', async () => {
    const rt = await gpu();
    const store = memoryStore();
    const lines: string[] = [];
    // Two classes keep the test short; npm run bench tunes all four.
    const t = await tuneMatmul(rt, { store, force: true, classes: ['small', 'medium'], log: (l) => lines.push(l) });
    console.log(lines.join('\n'));
    expect(Object.keys(t.choices).sort()).toEqual(['medium', 'medium A^T', 'medium B^T', 'small', 'small A^T', 'small B^T']);
    expect(t.measurements.length).toBe(6 * tuningCandidates(rt).length);
    for (const [slot, choice] of Object.entries(t.choices)) {
      const mine = t.measurements.filter((m) => m.slot === slot);
      const best = mine.reduce((a, b) => (b.gflops > a.gflops ? b : a));
      expect(choice).toEqual(best.choice);
      expect(best.gflops).toBeGreaterThan(0);
    }
    expect(autoMatmulChoice(rt, 64, 256, 100)).toEqual(t.choices.medium);
    expect(autoMatmulChoice(rt, 64, 256, 100, false, true)).toEqual(t.choices['medium B^T']);
    expect(autoMatmulChoice(rt, 64, 256, 100, true, true)).toEqual(t.choices.medium);
    expect(store.saved.length).toBe(1);
    const again = await tuneMatmul(rt, { store });
    expect(again).toBe(store.saved[0]);
    expect(store.saved.length).toBe(1);
    pinMatmul(rt, null);
  }, 120_000);

  it('every candidate the tuner may pick matches the reference when chosen by auto', async () => {
    const rt = await gpu();
    const rng = new Rng(3);
    try {
      for (const choice of tuningCandidates(rt)) {
        pinMatmul(rt, { small: choice, skinny: choice, medium: choice, large: choice });
        for (const [M, N, K] of [[7, 5, 3], [45, 65, 37], [300, 9, 20]] as const) {
          const a = rng.floats(M * K);
          const b = rng.floats(N * K);
          const want = ref.matmul(a, b, M, N, K, { transB: true });
          const A = Tensor.from(rt, a, [M, K]);
          const B = Tensor.from(rt, b, [N, K]);
          const C = await matmul(rt, A, B, { transB: true });
          const r = allclose(await C.read(), want, reductionTolerance(K));
          expect(r.ok, `${choice.variant} ${choice.workgroup} on ${M}x${N}x${K}: ${r.detail}`).toBe(true);
          for (const x of [A, B, C]) x.destroy();
        }
      }
    } finally {
      pinMatmul(rt, null);
    }
  });

  it('never installs a candidate whose result differs from the reference', async () => {
    const rt = await gpu();
    // A fast but wrong kernel: blocked with its K loop one short.
    const broken = shaderSource('matmul_blocked').replace('k < params.K;', 'k + 1u < params.K;');
    expect(broken).not.toBe(shaderSource('matmul_blocked'));
    rt.registerShader('matmul_blocked', broken);
    try {
      const lines: string[] = [];
      const t = await tuneMatmul(rt, { store: null, force: true, classes: ['small'], log: (l) => lines.push(l) });
      expect(t.measurements.some((m) => m.choice.variant === 'blocked')).toBe(false);
      expect(t.measurements.some((m) => m.choice.variant === 'interleaved')).toBe(true);
      expect(lines.filter((l) => /skipped blocked .* differs from the reference/.test(l)).length).toBe(3 * TUNING_CANDIDATES.filter((c) => c.variant === 'blocked').length);
      for (const choice of Object.values(t.choices)) expect(choice.variant).not.toBe('blocked');
    } finally {
      rt.registerShader('matmul_blocked', shaderSource('matmul_blocked'));
      pinMatmul(rt, null);
    }
  }, 120_000);

  it('offers the subgroup variant where subgroups have one fixed size, fitted to it', async () => {
    const rt = await gpu();
    const sg = matmulSubgroupSize(rt);
    const mine = tuningCandidates(rt).filter((c) => c.variant === 'subgroup');
    if (sg === null) {
      expect(mine).toEqual([]);
    } else {
      expect(mine.length).toBe(TUNING_CANDIDATES.filter((c) => c.variant === 'subgroup').length);
      for (const c of mine) expect(c.workgroup[0]).toBe(sg);
    }
    // Lavapipe, the adapter these tests run on, has subgroups of 8: the variant really runs here.
    if (rt.description.includes('llvmpipe')) expect(sg).toBe(8);
  });

  it('a pinned choice wins over tuning; clearing it restores the defaults', async () => {
    const rt = await gpu();
    pinMatmul(rt, { medium: { variant: 'naive', workgroup: [8, 8] } });
    expect(autoMatmulChoice(rt, 64, 256, 100)).toEqual({ variant: 'naive', workgroup: [8, 8] });
    pinMatmul(rt, null);
    const untuned = rt.isSoftware ? ((matmulSubgroupSize(rt) ?? 0) >= 8 ? 'subgroup' : 'blocked') : 'tiled';
    expect(autoMatmulChoice(rt, 64, 256, 100).variant).toBe(untuned);
    // A skinny product (a classifier layer) keeps the small-tile kernel on CPU adapters.
    expect(autoMatmulChoice(rt, 512, 10, 256).variant).toBe(rt.isSoftware ? 'blocked' : 'tiled');
  });
});
