// Kernel cases of activation telemetry: break-it shapes (B = 1, U = 1, U past a workgroup and not a multiple of 64),
// all-dead and all-saturated layers, NaN and Inf in z, values on the histogram's bin edges, the activation applied
// in the same dispatch, and a record written into one slot of a ring whose other slots must keep their values.
import type { Activation } from '../core/activations.js';
import { Tensor } from '../gpu/tensor.js';
import { activationStats } from '../kernels/activation-stats.js';
import { activationForward } from '../reference/activation.js';
import { ACTIVATION_STATS_STRIDE, STAT, activationStats as refStats } from '../reference/activation-stats.js';
import { allclose, reductionTolerance, type Tolerance } from '../util/allclose.js';
import type { Rng } from '../util/rng.js';
import { ELEMENTWISE_TOL, kcase, type KernelCase } from './harness.js';

interface StatsSpec {
  tag: string;
  B: number;
  U: number;
  activation: Activation;
  z: (rng: Rng, n: number) => Float32Array;
  apply?: boolean;
  ring?: { slots: number; slot: number; base: number; stride: number };
}

const uniform = (lo: number, hi: number) => (rng: Rng, n: number) => rng.floats(n, lo, hi);
const poisoned = (rng: Rng, n: number) => {
  const z = rng.floats(n, -3, 3);
  [z[5], z[77], z[n - 1]] = [NaN, Infinity, -Infinity];
  return z;
};
// Every bin edge, both ends of the range, a tail far out each way, signed zeros.
const edges = (_rng: Rng, n: number) => {
  const pick = [-1000, -8.5, -8, -7.5, -0.5, -0, 0, 0.5, 7.5, 7.999, 8, 8.5, 1000, -1e-30, 1e-30];
  return Float32Array.from({ length: n }, (_, i) => pick[i % pick.length]!);
};

export const ACTIVATION_STATS_SPECS: readonly StatsSpec[] = [
  { tag: '1x1 relu dead', B: 1, U: 1, activation: 'relu', z: uniform(-2, -1) },
  { tag: '1x1 sigmoid', B: 1, U: 1, activation: 'sigmoid', z: uniform(-9, 9) },
  { tag: '7x65 tanh', B: 7, U: 65, activation: 'tanh', z: uniform(-6, 6) },
  { tag: '33x300 relu', B: 33, U: 300, activation: 'relu', z: uniform(-4, 1) },
  { tag: '16x130 leaky_relu all dead', B: 16, U: 130, activation: 'leaky_relu', z: uniform(-5, -0.01) },
  { tag: '9x37 sigmoid all saturated', B: 9, U: 37, activation: 'sigmoid', z: (rng, n) => rng.floats(n, 6.5, 30).map((v, i) => (i % 2 ? v : -v)) },
  { tag: '12x70 relu NaN and Inf', B: 12, U: 70, activation: 'relu', z: poisoned },
  { tag: '3x15 relu bin edges', B: 3, U: 15, activation: 'relu', z: edges },
  { tag: '64x200 gelu tails', B: 64, U: 200, activation: 'gelu', z: uniform(-20, 20) },
  { tag: '5x3 tanh +apply', B: 5, U: 3, activation: 'tanh', z: uniform(-4, 4), apply: true },
  { tag: '40x129 leaky_relu +apply', B: 40, U: 129, activation: 'leaky_relu', z: uniform(-3, 2), apply: true },
  { tag: '6x10 sigmoid slot 2/3', B: 6, U: 10, activation: 'sigmoid', z: uniform(-8, 8), ring: { slots: 3, slot: 2, base: 11, stride: 50 } },
];

// Counts and fractions are exact up to f32's rounding of a quotient; mean and std are f32 sums.
const COUNTS: Tolerance = { atol: 1e-7, rtol: 1e-6 };

/** Each spec run on the GPU against activationStats of src/reference/activation-stats.ts. */
export function activationStatsCases(): KernelCase[] {
  return ACTIVATION_STATS_SPECS.map((sp, i) =>
    kcase('activation_stats', sp.tag, 9101 + i, async (rt, rng) => {
      const n = sp.B * sp.U;
      const z = sp.z(rng, n);
      const ring = sp.ring ?? { slots: 1, slot: 0, base: 0, stride: ACTIVATION_STATS_STRIDE };
      const size = ring.base + (ring.slots - 1) * ring.stride + ACTIVATION_STATS_STRIDE;
      const before = rng.floats(size, 50, 60); // everything outside the slot's record must keep these
      const want = Float64Array.from(before);
      const at = ring.base + ring.slot * ring.stride;
      want.set(refStats(z, sp.B, sp.U, sp.activation), at);
      const Z = Tensor.from(rt, z, [sp.B, sp.U], 'z');
      const M = Tensor.from(rt, before, [size], 'metrics');
      const Y = sp.apply ? Tensor.zeros(rt, [sp.B, sp.U], 'y') : undefined;
      const t0 = performance.now();
      try {
        await activationStats(rt, { z: Z, metrics: M, ...(Y ? { y: Y } : {}) }, { activation: sp.activation, ...ring });
        const got = await M.read();
        const ms = performance.now() - t0;
        const moments = [at + STAT.mean, at + STAT.std];
        const pick = (a: ArrayLike<number>, keep: boolean) => Array.from(a).filter((_, k) => moments.includes(k) === keep);
        const parts: [string, ReturnType<typeof allclose>][] = [
          ['record', allclose(pick(got, false), pick(want, false), COUNTS)],
          ['mean, std', allclose(pick(got, true), pick(want, true), reductionTolerance(n))],
        ];
        if (Y) parts.push(['y', allclose(await Y.read(), activationForward(z, sp.activation), ELEMENTWISE_TOL)]);
        const bad = parts.filter(([, r]) => !r.ok).map(([k, r]) => `${k}: ${r.detail}`);
        const maxAbsErr = Math.max(0, ...parts.map(([, r]) => r.maxAbsErr));
        const message = `activation_stats ${sp.tag} seed=${9101 + i}: max |err| ${maxAbsErr.toExponential(2)}${bad.length ? `; ${bad.join('; ')}` : ''}`;
        return { pass: bad.length === 0, maxAbsErr, ms, message };
      } finally {
        for (const t of [Z, M, Y]) t?.destroy();
      }
    }),
  );
}
