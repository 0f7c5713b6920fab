// The composed attention and its batched matmul on the GPU against the float64 references, the choice 'auto'
// makes, and their typed errors.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/gpu/tensor.js';
import { checkAttentionChoice, pickAttentionImplementation, prepareComposedAttentionForward } from '../src/kernels/attention-composed.js';
import { prepareBatchedMatmul } from '../src/kernels/bmm.js';
import { DeviceError, OptionError, ShapeError } from '../src/core/errors.js';
import type { Runtime } from '../src/gpu/runtime.js';
import { dense, embedding, Network, sequential, transformerBlock } from '../src/index.js';
import { batchedMatmulCases, composedAttentionCases } from '../src/selftest/attention-composed-cases.js';
import { gpu } from './helpers/gpu.js';

describe('composed attention and batched matmul against the float64 references', () => {
  for (const c of [...batchedMatmulCases(), ...composedAttentionCases()]) {
    it(`${c.kernel} ${c.shape}`, { timeout: 120_000 }, async () => {
      const r = await c.run(await gpu());
      expect(r.pass, r.message).toBe(true);
      expect(Number.isFinite(r.maxAbsErr), r.message).toBe(true);
    });
  }
});

describe('composed attention: choice and bad input', () => {
  it("'auto' composes short contexts on this CPU adapter and keeps long or huge ones fused", async () => {
    const rt = await gpu();
    expect(rt.isSoftware).toBe(true);
    expect(pickAttentionImplementation(rt, { B: 16, H: 4, T: 64 })).toBe('composed');
    expect(pickAttentionImplementation(rt, { B: 1, H: 1, T: 257 })).toBe('fused');
    // The bound is 16 MiB a matrix: B*H*T*T floats of 4 bytes.
    expect(pickAttentionImplementation(rt, { B: 16, H: 4, T: 256 })).toBe('composed');
    expect(pickAttentionImplementation(rt, { B: 17, H: 4, T: 256 })).toBe('fused');
  });

  it(
    "without fixed-size subgroups: 'composed' is an OptionError at compile, and a direct call a DeviceError, before anything is made",
    { timeout: 10_000 },
    async () => {
      const rt = await gpu();
      // The same runtime as an adapter without the 'subgroups' feature would give it.
      const bare = Object.create(rt, { features: { value: new Set() } }) as Runtime;
      expect(() => checkAttentionChoice('composed', bare)).toThrow(OptionError);
      expect(() => checkAttentionChoice('composed', bare)).toThrow(/'composed' needs the 'subgroups' feature/);
      expect(() => checkAttentionChoice('fused', bare)).not.toThrow();
      expect(pickAttentionImplementation(bare, { B: 16, H: 4, T: 64 })).toBe('fused');
      const before = rt.buffers.stats();
      const model = sequential({ tokens: 4 }, [embedding(5, 4), transformerBlock({ heads: 2 }), dense(5)], { seed: 1 });
      await expect(Network.compile(bare, model, { loss: 'cross_entropy', attention: 'composed' })).rejects.toThrow(OptionError);
      expect(rt.buffers.stats()).toEqual(before);
      const s = { B: 1, T: 4, H: 1, D: 2, causal: true };
      const [qkv, out, m1, m2] = [Tensor.zeros(rt, [4, 6], 'qkv'), Tensor.zeros(rt, [4, 2], 'out'), Tensor.zeros(rt, [16], 'p'), Tensor.zeros(rt, [16], 's')];
      const made = rt.buffers.stats();
      await expect(prepareComposedAttentionForward(bare, { shape: s, qkv, out, probs: m1, scores: m2 })).rejects.toThrow(DeviceError);
      expect(rt.buffers.stats()).toEqual(made);
      for (const t of [qkv, out, m1, m2]) t.destroy();
    },
  );

  it('rejects operands that do not fit before preparing anything', async () => {
    const rt = await gpu();
    const t = Tensor.zeros(rt, [100], 't');
    const u = Tensor.zeros(rt, [100], 'u');
    const before = rt.buffers.stats().buffers;
    const op = (x: Tensor) => ({ t: x, rowStride: 10, colStride: 1 });
    await expect(prepareBatchedMatmul(rt, { a: op(t), b: op(t), c: op(u) }, { M: 11, N: 10, K: 10, outer: 1, inner: 1 })).rejects.toThrow(
      /'a' reaches element 109, past its 100 elements/,
    );
    await expect(prepareBatchedMatmul(rt, { a: op(t), b: op(t), c: op(t) }, { M: 10, N: 10, K: 10, outer: 1, inner: 1 })).rejects.toThrow(
      /'c' must not share a buffer/,
    );
    await expect(prepareBatchedMatmul(rt, { a: op(t), b: op(t), c: op(u) }, { M: 0, N: 10, K: 10, outer: 1, inner: 1 })).rejects.toThrow(ShapeError);
    await expect(prepareBatchedMatmul(rt, { a: { ...op(t), rowStride: -1 }, b: op(t), c: op(u) }, { M: 1, N: 10, K: 10, outer: 1, inner: 1 })).rejects.toThrow(
      /'a.rowStride' must be a non-negative integer, got -1/,
    );
    const s = { B: 1, T: 4, H: 1, D: 2, causal: true };
    await expect(prepareComposedAttentionForward(rt, { shape: s, qkv: t, out: u, probs: u, scores: u })).rejects.toThrow(
      /'qkv' must have B\*T\*3C = 24 elements, got 100/,
    );
    expect(rt.buffers.stats().buffers).toBe(before);
    t.destroy();
    u.destroy();
  });
});
