import { describe, expect, it } from 'vitest';
import { Tensor, reference as ref, scale } from '../src/index.js';
import { gridFor } from '../src/kernels/grid.js';
import { elementwiseCases } from '../src/selftest/cases.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

describe('add and scale against the CPU reference', () => itRunsCases(elementwiseCases()));

describe('1-D problems larger than one grid row', () => {
  it('gridFor covers every workgroup within the per-dimension limit', () => {
    expect(gridFor(10)).toEqual([10, 1]);
    for (const g of [65535, 65536, 200_000, 65535 * 3 + 1]) {
      const [x, y] = gridFor(g);
      expect(x).toBeLessThanOrEqual(65535);
      expect(x * y).toBeGreaterThanOrEqual(g);
      expect(x * (y - 1)).toBeLessThan(g);
    }
  });

  it('scale reaches every element when the dispatch needs a 2-D grid (n > 65535 * 256)', async () => {
    const rt = await gpu();
    const n = 65535 * 256 + 1000; // 2 rows of workgroups
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (i % 1013) - 506;
    const A = Tensor.from(rt, a, [n], 'a');
    const out = await scale(rt, A, 0.5);
    const got = await out.read();
    const want = ref.scale(a, 0.5);
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (got[i] !== want[i]) bad = i;
    expect(bad, `first wrong element ${bad}: got ${got[bad]} want ${want[bad]}`).toBe(-1);
    A.destroy();
    out.destroy();
  });
});
