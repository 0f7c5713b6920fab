// The benchmark's unfused attention (the composed implementation, through src/bench/attention-compose.ts) computes what the fused kernels compute: the
// same out, dq, dk and dv on the same inputs, and both equal the float64 reference, so the benchmark times equal work.
import { describe, expect, it } from 'vitest';
import { prepareFusedAttention, prepareUnfusedAttention, randomAttentionData, type AttentionShape } from '../src/bench/attention-compose.js';
import { attentionBackward64, attentionForward64 } from '../src/reference/attention.js';
import { allclose } from '../src/util/allclose.js';
import { Rng } from '../src/util/rng.js';
import { gpu } from './helpers/gpu.js';

/** Columns [block * C, block * C + C) of a [rows, 3C] matrix. */
function columns(m: Float32Array, rows: number, C: number, block: number): Float32Array {
  return Float32Array.from({ length: rows * C }, (_, i) => m[Math.floor(i / C) * 3 * C + block * C + (i % C)]!);
}

const TOL = { atol: 1e-4, rtol: 1e-4 };

describe('unfused attention composition', () => {
  const shapes: AttentionShape[] = [
    { B: 2, T: 13, H: 2, D: 8 },
    { B: 1, T: 16, H: 3, D: 4 },
  ];
  for (const s of shapes) {
    it(`B=${s.B} T=${s.T} H=${s.H} D=${s.D}: out, dq, dk, dv equal the fused kernels' and the reference`, { timeout: 300_000 }, async () => {
      const rt = await gpu();
      const { B, T, H, D } = s;
      const [C, rows] = [H * D, B * T];
      const data = randomAttentionData(s, new Rng(T * 100 + D));
      const fused = await prepareFusedAttention(rt, s, data);
      const unfused = await prepareUnfusedAttention(rt, s, data);
      try {
        expect(unfused.forward.length).toBe(3);
        expect(unfused.backward.length).toBe(5);
        rt.run([...fused.forward, ...fused.backward]);
        rt.run([...unfused.forward, ...unfused.backward]);
        const dqkv = await fused.dqkv.read();
        const composed = await unfused.dqkv.read();
        const got = {
          out: [await fused.out.read(), await unfused.out.read()],
          dq: [columns(dqkv, rows, C, 0), columns(composed, rows, C, 0)],
          dk: [columns(dqkv, rows, C, 1), columns(composed, rows, C, 1)],
          dv: [columns(dqkv, rows, C, 2), columns(composed, rows, C, 2)],
        };
        const view = (i: number) => ({ data: data.qkv, offset: i * C, stride: 3 * C });
        const shape = { ...s, causal: true };
        const f = attentionForward64(view(0), view(1), view(2), shape);
        const g = attentionBackward64(view(0), view(1), view(2), f.out, f.lse, data.dOut, shape);
        const want = { out: f.out, dq: g.dq, dk: g.dk, dv: g.dv };
        for (const name of ['out', 'dq', 'dk', 'dv'] as const) {
          const [fusedValues, unfusedValues] = got[name];
          const same = allclose(unfusedValues!, fusedValues!, TOL);
          expect(same.ok, `${name}: unfused against fused: ${same.detail}`).toBe(true);
          const right = allclose(unfusedValues!, want[name], TOL);
          expect(right.ok, `${name}: unfused against the reference: ${right.detail}`).toBe(true);
          // Not vacuous: the gradients are not all zero.
          expect(unfusedValues!.some((v) => Math.abs(v) > 1e-3)).toBe(true);
        }
      } finally {
        fused.destroy();
        unfused.destroy();
      }
    });
  }
});
