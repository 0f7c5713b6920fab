// Per-adapter matmul tuning: a choice per shape class from interleaved repeated timings, the default kept unless
// beaten by more than the noise, cached and reused, pinnable, held by the tuner (not the Runtime), and every
// candidate it may pick computes the same products as the reference.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  TUNING_CANDIDATES,
  TUNING_MARGIN,
  decideTuning,
  defaultMatmulChoice,
  tunedMatmulChoices,
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
  createRuntime,
  OptionError,
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

  it('times every candidate per slot in rounds, installs what the decision rule picks, caches it and reuses the cache', async () => {
    const rt = await gpu();
    const store = memoryStore();
    const lines: string[] = [];
    const rounds = 3;
    // Two classes and short samples keep the test short; npm run bench tunes all four with 7 rounds.
    const t = await tuneMatmul(rt, { store, force: true, classes: ['small', 'medium'], rounds, sampleMs: 4, log: (l) => lines.push(l) });
    console.log(lines.join('\n'));
    expect(t.key).toMatch(/ \| tuner \d+$/);
    expect(Object.keys(t.choices).sort()).toEqual(['medium', 'medium A^T', 'medium B^T', 'small', 'small A^T', 'small B^T']);
    expect(t.measurements.length).toBe(6 * tuningCandidates(rt).length);
    for (const [slot, choice] of Object.entries(t.choices)) {
      const mine = t.measurements.filter((m) => m.slot === slot);
      const fallback = defaultMatmulChoice(rt, slot.split(' ')[0] as 'small' | 'medium');
      const at = mine.findIndex((m) => m.choice.variant === fallback.variant && m.choice.workgroup.join() === fallback.workgroup.join());
      // The default races every round; the others at least the first, all of them if they kept up.
      expect(at).toBeGreaterThanOrEqual(0);
      expect(mine[at]!.samples.length).toBe(rounds);
      for (const m of mine) {
        expect(m.samples.length === 1 || m.samples.length === rounds, `${m.choice.variant}: ${m.samples.length} samples`).toBe(true);
        expect(m.gflops).toBeGreaterThan(0);
      }
      expect(choice).toEqual(
        mine[
          decideTuning(
            mine.map((m) => m.samples),
            at,
          ).index
        ]!.choice,
      );
    }
    expect(tunedMatmulChoices(rt)).toEqual(t.choices);
    expect(autoMatmulChoice(rt, 64, 256, 100)).toEqual(t.choices.medium);
    expect(autoMatmulChoice(rt, 64, 256, 100, false, true)).toEqual(t.choices['medium B^T']);
    expect(autoMatmulChoice(rt, 64, 256, 100, true, true)).toEqual(t.choices.medium);
    expect(store.saved.length).toBe(1);
    const again = await tuneMatmul(rt, { store });
    expect(again).toBe(store.saved[0]);
    expect(store.saved.length).toBe(1);
    pinMatmul(rt, null);
    // About 60 s on a loaded machine with a cold shader cache: every candidate compiles and is timed in rounds.
  }, 200_000);

  it('every candidate the tuner may pick matches the reference when chosen by auto', async () => {
    const rt = await gpu();
    const rng = new Rng(3);
    try {
      for (const choice of tuningCandidates(rt)) {
        pinMatmul(rt, { small: choice, skinny: choice, medium: choice, large: choice });
        for (const [M, N, K] of [
          [7, 5, 3],
          [45, 65, 37],
          [300, 9, 20],
        ] as const) {
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
      const t = await tuneMatmul(rt, { store: null, force: true, classes: ['small'], rounds: 2, sampleMs: 3, log: (l) => lines.push(l) });
      expect(t.measurements.some((m) => m.choice.variant === 'blocked')).toBe(false);
      expect(t.measurements.some((m) => m.choice.variant === 'interleaved')).toBe(true);
      expect(lines.filter((l) => /skipped blocked .* differs from the reference/.test(l)).length).toBe(
        3 * TUNING_CANDIDATES.filter((c) => c.variant === 'blocked').length,
      );
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
    expect(tunedMatmulChoices(rt)).toBeNull();
    const untuned = rt.isSoftware ? ((matmulSubgroupSize(rt) ?? 0) >= 8 ? 'subgroup' : 'blocked') : 'gemm';
    expect(autoMatmulChoice(rt, 64, 256, 100).variant).toBe(untuned);
    // A skinny product (a classifier layer) keeps a small-tile kernel.
    expect(autoMatmulChoice(rt, 512, 10, 256).variant).toBe(rt.isSoftware ? 'blocked' : 'tiled');
  });

  it('a fixed-workgroup variant pinned with another workgroup is an OptionError naming the size, and nothing is pinned', async () => {
    const rt = await gpu();
    for (const variant of ['gemm', 'tiled'] as const) {
      const pin = () => pinMatmul(rt, { small: { variant: 'blocked', workgroup: [8, 8] }, large: { variant, workgroup: [8, 8] } });
      expect(pin).toThrow(OptionError);
      expect(pin).toThrow(`the ${variant} variant's workgroup is fixed at [16, 16], got [8, 8]`);
      expect(tunedMatmulChoices(rt)).toBeNull();
    }
    pinMatmul(rt, { large: { variant: 'gemm', workgroup: [16, 16] } });
    expect(autoMatmulChoice(rt, 512, 512, 512)).toEqual({ variant: 'gemm', workgroup: [16, 16] });
    pinMatmul(rt, null);
  });
});

// Samples are milliseconds per run: lower is faster.
const quiet = (ms: number) => [0.99, 1.01, 1, 0.995, 1.005, 1, 1.002].map((f) => f * ms);

describe('tuning decision rule', () => {
  it('takes a clear winner over the default', () => {
    const d = decideTuning([quiet(10), quiet(5)], 0);
    expect(d.index).toBe(1);
    expect(d.speedup).toBeCloseTo(2, 2);
  });

  it('keeps the default on a tie or a gain below the margin', () => {
    expect(decideTuning([quiet(10), quiet(10)], 0).index).toBe(0);
    expect(decideTuning([quiet(10), quiet(10 / (1 + TUNING_MARGIN * 0.6))], 0).index).toBe(0);
    // The default need not come first.
    expect(decideTuning([quiet(9.9), quiet(9.95), quiet(10)], 2).index).toBe(2);
  });

  it('keeps the default when the gain is within the noise, takes the same gain when it is not', () => {
    const noisy = [7, 10.5, 8, 12, 8.8, 11, 9].map((x) => (x * (10 / 8.8)) / 1.15);
    const d = decideTuning([quiet(10), noisy], 0);
    expect(d.speedup).toBeGreaterThan(1.1);
    expect(d.index).toBe(0);
    expect(d.needed).toBeGreaterThan(d.speedup);
    expect(decideTuning([quiet(10), quiet(10 / 1.15)], 0).index).toBe(1);
  });

  it('is not fooled by one lucky sample (a best-of rule would be)', () => {
    const lucky = [3, 12, 11.5, 12.2, 11.8, 12, 11.9];
    expect(Math.min(...lucky)).toBeLessThan(Math.min(...quiet(10)));
    expect(decideTuning([quiet(10), lucky], 0).index).toBe(0);
  });

  it('of several candidates that beat the default, takes the fastest median', () => {
    expect(decideTuning([quiet(10), quiet(6), quiet(4), quiet(9.99)], 0).index).toBe(2);
  });

  it('without a measured default, takes the fastest median', () => {
    expect(decideTuning([quiet(10), quiet(9.9)], -1).index).toBe(1);
    expect(decideTuning([quiet(10), []], 1).index).toBe(0);
    expect(() => decideTuning([[], []], 0)).toThrow(RangeError);
  });
});

describe('tuning state and layering', () => {
  it('gpu/ imports nothing from kernels/, and the Runtime carries no tuning table', () => {
    const dir = new URL('../src/gpu/', import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      expect(text, `src/gpu/${f}`).not.toMatch(/from '\.\.\/kernels\//);
      expect(text, `src/gpu/${f}`).not.toMatch(/\btuned\b/);
    }
  });

  it('choices installed on one runtime are not seen by another', async () => {
    const rt = await gpu();
    const other = await createRuntime({ tuning: 'off' });
    try {
      pinMatmul(rt, { large: { variant: 'naive', workgroup: [8, 8] } });
      expect(tunedMatmulChoices(rt)?.large).toEqual({ variant: 'naive', workgroup: [8, 8] });
      expect(tunedMatmulChoices(other)).toBeNull();
      expect(autoMatmulChoice(other, 512, 512, 512)).toEqual(defaultMatmulChoice(other, 'large'));
    } finally {
      pinMatmul(rt, null);
      other.destroy();
    }
  });
});
