// PyTorch as a second reference for attention: test/fixtures/torch/attention.json (written by
// scripts/torch-attention-fixture.py, PyTorch in float64 from float32 inputs: softmax of masked scores times v, and
// autograd's gradients) against the CPU reference and the GPU kernels.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, allclose, attentionBackward, attentionForward, reductionTolerance, reference as ref, type AttentionShape } from '../src/index.js';
import { gpu } from './helpers/gpu.js';

interface AttentionFixture extends AttentionShape {
  name: string;
  q: number[];
  k: number[];
  v: number[];
  dout: number[];
  out: number[];
  lse: number[];
  dq: number[];
  dk: number[];
  dv: number[];
}

const fixtures = (JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/torch/attention.json'), 'utf8')) as { cases: AttentionFixture[] }).cases;

function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: { atol: number; rtol: number }) {
  const r = allclose(got, want, tol);
  expect(r.ok, `${what}: ${r.detail}`).toBe(true);
}

describe('attention against PyTorch', () => {
  it('the fixture has every case', () => expect(fixtures.map((f) => f.name)).toHaveLength(6));
  for (const f of fixtures) {
    const s: AttentionShape = { B: f.B, T: f.T, H: f.H, D: f.D, causal: f.causal, ...(f.scale !== undefined ? { scale: f.scale } : {}) };
    const C = f.H * f.D;
    const dense = (a: number[]) => ({ data: Float32Array.from(a), offset: 0, stride: C });
    it(`${f.name}: the float64 reference equals PyTorch`, () => {
      const [q, k, v] = [dense(f.q), dense(f.k), dense(f.v)];
      const fw = ref.attentionForward64(q, k, v, s);
      const tight = { atol: 1e-9, rtol: 1e-9 };
      expectClose('out', fw.out, f.out, tight);
      expectClose('lse', fw.lse, f.lse, tight);
      const g = ref.attentionBackward64(q, k, v, fw.out, fw.lse, Float32Array.from(f.dout), s);
      expectClose('dq', g.dq, f.dq, tight);
      expectClose('dk', g.dk, f.dk, tight);
      expectClose('dv', g.dv, f.dv, tight);
    });
    it(`${f.name}: the GPU kernels equal PyTorch`, { timeout: 300_000 }, async () => {
      const rt = await gpu();
      const rows = f.B * f.T;
      const [q, k, v, dOut] = [f.q, f.k, f.v, f.dout].map((a, i) => Tensor.from(rt, a, [rows, C], ['q', 'k', 'v', 'dOut'][i]));
      const shape = s;
      const fw = await attentionForward(rt, { q: { t: q! }, k: { t: k! }, v: { t: v! }, shape });
      const tol = reductionTolerance(f.T * f.D);
      expectClose('out', await fw.out.read(), f.out, tol);
      expectClose('lse', await fw.lse.read(), f.lse, reductionTolerance(f.D));
      const g = await attentionBackward(rt, { q: { t: q! }, k: { t: k! }, v: { t: v! }, out: fw.out, lse: fw.lse, dOut: dOut!, shape });
      expectClose('dq', await g.dq.read(), f.dq, tol);
      expectClose('dk', await g.dk.read(), f.dk, tol);
      expectClose('dv', await g.dv.read(), f.dv, tol);
      for (const t of [q, k, v, dOut, fw.out, fw.lse, g.dq, g.dk, g.dv]) t!.destroy();
    });
  }
});
