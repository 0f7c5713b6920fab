import { describe, expect, it } from 'vitest';
import { OptionError, ShapeError } from '../src/core/errors.js';
import { Tensor } from '../src/gpu/tensor.js';
import { activationStats, decodeActivationStats, prepareActivationStats, setActivationStatsSlot } from '../src/kernels/activation-stats.js';
import { ACTIVATION_STATS_STRIDE, activationStats as refStats, histogramBin, saturationThreshold } from '../src/reference/activation-stats.js';
import { activationStatsCases } from '../src/selftest/activation-stats-cases.js';
import { allKernelCases } from '../src/selftest/cases.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

describe('activation statistics against the CPU reference', () => itRunsCases(activationStatsCases()));

describe('activation statistics reference, from the definitions', () => {
  it('saturation thresholds are where the derivative falls to 1% of its maximum', () => {
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const t = saturationThreshold('sigmoid');
    expect((sig(t) * (1 - sig(t))) / 0.25).toBeCloseTo(0.01, 6);
    const h = saturationThreshold('tanh');
    expect(1 - Math.tanh(h) ** 2).toBeCloseTo(0.01, 6);
    expect(saturationThreshold('relu')).toBe(Infinity);
  });

  it('bins are half-open intervals of width 0.5 with the tails in the outer bins', () => {
    expect([-100, -8, -7.75, -0.5, -0.25, 0, 0.49, 0.5, 7.99, 8, 100].map(histogramBin)).toEqual([0, 0, 0, 15, 15, 16, 16, 17, 31, 31, 31]);
  });

  it('a hand-worked relu layer: one dead unit of three, moments, non-finite values counted apart', () => {
    // Unit 0 is dead (all <= 0), unit 1 alive, unit 2 has a NaN (not dead, not counted).
    const z = [-1, 2, NaN, -3, 0.5, -1];
    const r = refStats(z, 2, 3, 'relu');
    expect(r[0]).toBe(0);
    expect(r[1]).toBeCloseTo(1 / 3, 12);
    expect(r[2]).toBeNaN();
    expect(r[4]).toBe(1);
    const clean = refStats([-1, 2, 1, -3, 0.5, -1], 2, 3, 'relu');
    expect(clean[1]).toBeCloseTo(1 / 3, 12);
    expect(clean[2]).toBeCloseTo(-1.5 / 6, 12);
    expect(clean[3]).toBeCloseTo(Math.sqrt([-1, 2, 1, -3, 0.5, -1].reduce((s, v) => s + (v + 0.25) ** 2, 0) / 6), 12);
    expect(clean.slice(5).reduce((a, b) => a + b, 0)).toBe(6);
  });
});

describe('activation statistics wrapper', () => {
  it('rejects a bad shape, a ring too small and a slot outside it, naming what was expected', async () => {
    const rt = await gpu();
    const z = Tensor.zeros(rt, [4, 3], 'z');
    const flat = Tensor.zeros(rt, [12], 'flat');
    const small = Tensor.zeros(rt, [ACTIVATION_STATS_STRIDE - 1], 'small');
    const ring = Tensor.zeros(rt, [2 * ACTIVATION_STATS_STRIDE], 'ring');
    try {
      await expect(activationStats(rt, { z: flat, metrics: ring }, { activation: 'relu' })).rejects.toThrow(ShapeError);
      await expect(activationStats(rt, { z, metrics: small }, { activation: 'relu' })).rejects.toThrow(/must hold/);
      await expect(activationStats(rt, { z, metrics: ring }, { activation: 'relu', slot: 2 })).rejects.toThrow(/slot must be an integer in \[0, 1\]/);
      await expect(activationStats(rt, { z, metrics: ring }, { activation: 'relu', stride: 3 })).rejects.toThrow(OptionError);
      await expect(activationStats(rt, { z, metrics: ring }, { activation: 'swish' as 'relu' })).rejects.toThrow(/unknown activation/);
      const d = await prepareActivationStats(rt, { z, metrics: ring }, { activation: 'relu' });
      expect(() => setActivationStatsSlot(d, 2)).toThrow(OptionError);
      setActivationStatsSlot(d, 1);
      rt.release(d);
    } finally {
      for (const t of [z, flat, small, ring]) t.destroy();
    }
  });

  it('decodes a record by field', () => {
    const data = Float32Array.from({ length: 2 * ACTIVATION_STATS_STRIDE }, (_, i) => i);
    const r = decodeActivationStats(data, ACTIVATION_STATS_STRIDE);
    expect([r.saturated, r.dead, r.mean, r.std, r.nonFinite]).toEqual([37, 38, 39, 40, 41]);
    expect(r.histogram).toHaveLength(32);
    expect(r.histogram[31]).toBe(73);
    expect(() => decodeActivationStats(data, ACTIVATION_STATS_STRIDE + 1)).toThrow(ShapeError);
  });

  it('is part of the self-test', () => {
    expect(allKernelCases().filter((c) => c.kernel === 'activation_stats').length).toBe(activationStatsCases().length);
  });
});
