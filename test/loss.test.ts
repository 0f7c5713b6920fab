import { describe, expect, it } from 'vitest';
import { Tensor, reductionTolerance, allclose, reference as ref } from '../src/index.js';
import { softmaxCrossEntropy } from '../src/kernels/loss.js';
import { lossCases } from '../src/selftest/cases.js';
import { Rng } from '../src/util/rng.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

describe('softmax cross-entropy and MSE against the CPU reference', () => itRunsCases(lossCases()));

describe('softmax cross-entropy over language-model vocabularies', () => {
  // Rows that make the online max and sum work: logits rising along the row (the max grows at every column, so the
  // sum is rescaled every time), the max in the last column, logits near +1e4, and plain random rows.
  for (const V of [65, 50257]) {
    it(`V = ${V}: loss, gradient and argmax equal the reference`, { timeout: 120_000 }, async () => {
      const rt = await gpu();
      const rng = new Rng(V);
      const B = 5;
      const z = rng.floats(B * V, -4, 4);
      for (let c = 0; c < V; c++) z[c] = (8 * c) / V; // row 0 rises
      z[2 * V - 1] = 9; // row 1: max at the end
      for (let c = 0; c < V; c++) z[2 * V + c] = 1e4 + rng.uniform(-5, 5); // row 2 near +1e4
      const y = Float32Array.of(V - 1, V - 1, 3, rng.int(V), 0);
      const want = ref.softmaxCrossEntropy(z, y, B, V, 1 / B);
      const Z = Tensor.from(rt, z, [B, V], 'logits');
      const Y = Tensor.from(rt, y, [B], 'labels');
      const o = await softmaxCrossEntropy(rt, Z, Y);
      const tol = reductionTolerance(V);
      for (const [name, t, w] of [
        ['loss', o.loss, want.loss],
        ['dlogits', o.dlogits, want.dlogits],
      ] as const) {
        const r = allclose(await t.read(), w, tol);
        expect(r.ok, `${name} V=${V}: ${r.detail}`).toBe(true);
      }
      expect(Array.from(await o.correct.read())).toEqual(Array.from(want.correct));
      for (const t of [Z, Y, o.loss, o.dlogits, o.correct]) t.destroy();
    });
  }
});
