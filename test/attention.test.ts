// Fused attention on the GPU against the float64 reference on the break-it shapes, its typed errors, and that two
// runs of the backward are bit-for-bit equal (no atomics, fixed summation order).
import { describe, expect, it } from 'vitest';
import { rejectsEach } from './helpers/allocation.js';
import { OptionError, ShapeError, Tensor, attentionBackward, attentionForward, prepareAttentionBackward, type AttentionShape } from '../src/index.js';
import { attentionCases } from '../src/selftest/attention-cases.js';
import { Rng } from '../src/util/rng.js';
import { gpu } from './helpers/gpu.js';

// A cold lavapipe compiles each kernel's one pipeline (the same for every head size) at its first dispatch: measured
// 25-104 s each on a 2-core machine under a load average of 20, about 3 minutes for all three; a warm shader cache
// makes them instant. About 3x the slowest case's measured time under that load.
const COLD = 300_000;

describe('attention forward and backward against the float64 reference', () => {
  for (const c of attentionCases()) {
    it(`${c.kernel} ${c.shape}`, { timeout: COLD }, async () => {
      const r = await c.run(await gpu());
      expect(r.pass, r.message).toBe(true);
      expect(Number.isFinite(r.maxAbsErr), r.message).toBe(true);
    });
  }
});

describe('attention determinism and bad input', () => {
  const s: AttentionShape = { B: 2, T: 7, H: 3, D: 3, causal: true };
  const C = 9;

  it('two backward runs are bit-for-bit equal', { timeout: COLD }, async () => {
    const rt = await gpu();
    const rng = new Rng(4);
    const qkv = Tensor.from(rt, rng.floats(14 * 3 * C), [14, 3 * C], 'qkv');
    const dOut = Tensor.from(rt, rng.floats(14 * C), [14, C], 'dOut');
    const f = await attentionForward(rt, { qkv, shape: s });
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const g = await attentionBackward(rt, { qkv, out: f.out, lse: f.lse, dOut, shape: s });
      runs.push([await g.dq.read(), await g.dk.read(), await g.dv.read()]);
      for (const t of [g.dq, g.dk, g.dv]) t.destroy();
    }
    for (let k = 0; k < 3; k++) expect(Array.from(runs[1]![k]!)).toEqual(Array.from(runs[0]![k]!));
    for (const t of [qkv, dOut, f.out, f.lse]) t.destroy();
  });

  it('is a typed error naming what was wrong, and allocates nothing', { timeout: COLD }, async () => {
    const rt = await gpu();
    const qkv = Tensor.zeros(rt, [14, 3 * C], 'qkv');
    const out = Tensor.zeros(rt, [14, C], 'out');
    const lse = Tensor.zeros(rt, [2, 3, 7], 'lse');
    const bad: [() => Promise<unknown>, typeof ShapeError | typeof OptionError, RegExp][] = [
      [() => attentionForward(rt, { qkv, shape: { ...s, D: 0 } }), ShapeError, /D must be a positive integer, got 0/],
      [() => attentionForward(rt, { qkv, shape: { ...s, T: 8 } }), ShapeError, /'qkv' must have B\*T\*3C = 16 \* 27 elements, got 378/],
      [() => attentionForward(rt, { qkv, shape: { ...s, H: 1, D: 80 } }), ShapeError, /head size D = 80 exceeds 64/],
      [
        () => attentionForward(rt, { q: { t: out }, k: { t: out, stride: 4 }, v: { t: out }, shape: s }),
        ShapeError,
        /k.stride must be an integer >= C = 9, got 4/,
      ],
      [() => attentionForward(rt, { q: { t: out, offset: 1 }, k: { t: out }, v: { t: out }, shape: s }), ShapeError, /q needs 127 elements/],
      [() => attentionForward(rt, { q: { t: out }, k: { t: out }, shape: s } as never), ShapeError, /'v' is missing/],
      [() => attentionForward(rt, { qkv, shape: s }, { rows: 5 }), OptionError, /rows must be an integer in 1..4/],
      [() => attentionForward(rt, { qkv, shape: s }, { rows: 0 }), OptionError, /rows must be an integer in 1..4, got 0/],
      [() => attentionForward(rt, { qkv, shape: s }, { wg: 12 }), OptionError, /wg must be a power of two/],
      [() => attentionBackward(rt, { qkv, out, lse: out, dOut: out, shape: s }), ShapeError, /'lse' must have B\*H\*T = 42 elements, got 126/],
      [
        () => prepareAttentionBackward(rt, { qkv, out, lse, dOut: out, dqkv: qkv, delta: lse, shape: s }),
        ShapeError,
        /'dq' must not share a buffer with q, k, v, out, lse or dOut/,
      ],
    ];
    await rejectsEach(rt, bad);
    for (const t of [qkv, out, lse]) t.destroy();
  });
});
