// Kernel cases of the training kernels: losses, column sums, LayerNorm, BatchNorm, telemetry.
import { Tensor } from '../gpu/tensor.js';
import { batchNormBackward, batchNormEval, batchNormTrain } from '../kernels/batchnorm.js';
import { layerNorm, layerNormBackward, prepareLayerNormBackward } from '../kernels/layernorm.js';
import { PER_ROW_MAX_CLASSES, mse, softmaxCrossEntropy } from '../kernels/loss.js';
import { runPrepared } from '../kernels/common.js';
import { sumRows } from '../kernels/reduce.js';
import { segmentTable, telemetry, type Segment } from '../kernels/telemetry.js';
import * as ref from '../reference/index.js';
import { accumulate } from '../kernels/elementwise.js';
import { reductionTolerance } from '../util/allclose.js';
import { Rng } from '../util/rng.js';
import { ELEMENTWISE_TOL, EXACT, arena, kcase, type KernelCase } from './harness.js';

/** Softmax cross-entropy: C = 1, one row, odd shapes, C beyond a workgroup, exact ties, logits of +-1e4, bad labels. */
export function lossCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 4000;
  // Every case runs both layouts: the one a GPU picks for C classes under the plain tag, the other one named.
  const ce = (B: number, C: number, tag: string, scaleBy: number | null, make: (rng: Rng) => { z: Float32Array; y: Float32Array }) => {
    const usual = C <= PER_ROW_MAX_CLASSES ? 'invocation' : 'workgroup';
    for (const layout of ['invocation', 'workgroup'] as const) ceIn(B, C, layout === usual ? tag : `${tag} ${layout}`, scaleBy, make, layout);
  };
  const ceIn = (
    B: number,
    C: number,
    tag: string,
    scaleBy: number | null,
    make: (rng: Rng) => { z: Float32Array; y: Float32Array },
    layout: 'invocation' | 'workgroup',
  ) =>
    cases.push(
      kcase('softmax_cross_entropy', `${B}x${C}${tag}`, ++seed, async (rt, rng, check) => {
        const { z, y } = make(rng);
        const gradScale = scaleBy ?? 1 / B;
        const want = ref.softmaxCrossEntropy(z, y, B, C, gradScale);
        const Z = Tensor.from(rt, z, [B, C], 'logits');
        const Y = Tensor.from(rt, y, [B], 'labels');
        const tol = reductionTolerance(C);
        return check([Z, Y], async () => {
          const o = await softmaxCrossEntropy(rt, Z, Y, { gradScale, layout });
          return [
            ['loss', o.loss, want.loss, tol],
            ['dlogits', o.dlogits, want.dlogits, tol],
            ['correct', o.correct, want.correct, EXACT],
          ];
        });
      }),
    );
  const labels = (rng: Rng, B: number, C: number) => Float32Array.from({ length: B }, () => rng.int(C));
  const plain =
    (B: number, C: number, lo = -4, hi = 4) =>
    (rng: Rng) => ({ z: rng.floats(B * C, lo, hi), y: labels(rng, B, C) });
  ce(1, 1, '', 1, plain(1, 1));
  ce(1, 10, '', 1, plain(1, 10));
  ce(37, 13, '', null, plain(37, 13));
  ce(5, 300, '', 0.5, plain(5, 300));
  // Up to 64 classes a row per invocation (B beyond one workgroup of rows here), beyond that a workgroup per row:
  // the special cases below run on both.
  ce(130, 10, '', null, plain(130, 10));
  ce(9, 130, '', null, plain(9, 130));
  for (const C of [10, 100]) {
    const B = 64;
    ce(B, C, ' ties', null, (rng) => {
      // Integer logits in a narrow range: most rows hold their max more than once; argmax must be the first.
      const z = Float32Array.from({ length: B * C }, () => rng.int(4));
      const y = Float32Array.from({ length: B }, (_, i) => (i % 2 ? rng.int(C) : z.subarray(i * C, i * C + C).lastIndexOf(3)));
      for (let i = 0; i < B; i++) if (y[i]! < 0) y[i] = 0;
      return { z, y };
    });
  }
  for (const C of [37, 70]) {
    ce(16, C, ' logits +-1e4', null, (rng) => {
      // Rows near +1e4 overflow exp without the max shift; rows near -1e4 underflow the sum to 0.
      const z = new Float32Array(16 * C);
      for (let i = 0; i < 16; i++) for (let c = 0; c < C; c++) z[i * C + c] = (i % 2 ? -1e4 : 1e4) + rng.uniform(-5, 5);
      return { z, y: labels(rng, 16, C) };
    });
  }
  for (const C of [5, 80]) ce(6, C, ' bad labels', null, (rng) => ({ z: rng.floats(6 * C, -2, 2), y: Float32Array.of(-1, C, 2.5, NaN, 4, 1e9) }));
  const mseCase = (B: number, D: number, mag: number) =>
    cases.push(
      kcase('mse', `${B}x${D}${mag > 1 ? ` values +-${mag}` : ''}`, ++seed, async (rt, rng, check) => {
        const p = rng.floats(B * D, -mag, mag);
        const t = rng.floats(B * D, -mag, mag);
        const want = ref.mse(p, t, B, D, 1 / B);
        const P = Tensor.from(rt, p, [B, D], 'pred');
        const T = Tensor.from(rt, t, [B, D], 'target');
        return check([P, T], async () => {
          const o = await mse(rt, P, T);
          return [
            ['loss', o.loss, want.loss, reductionTolerance(D)],
            ['dpred', o.dpred, want.dpred, ELEMENTWISE_TOL],
          ];
        });
      }),
    );
  mseCase(1, 1, 1);
  mseCase(37, 13, 1);
  mseCase(3, 700, 1);
  mseCase(64, 1, 1);
  mseCase(9, 17, 1000);
  return cases;
}

/** sum_rows over degenerate, odd, and larger-than-a-workgroup shapes (out as a view in an arena); accumulate. */
export function reduceCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 5000;
  for (const [B, N] of [
    [1, 1],
    [1, 37],
    [37, 1],
    [37, 13],
    [300, 70],
    [1000, 3],
  ] as const) {
    cases.push(
      kcase('sum_rows', `${B}x${N}`, ++seed, async (rt, rng, check) => {
        const x = rng.floats(B * N);
        const X = Tensor.from(rt, x, [B, N], 'x');
        const { owner, views } = arena(rt, [{ data: rng.floats(N), shape: [N] }]);
        return check([X, owner], async () => [['out', await sumRows(rt, X, views[0]), ref.sumRows(x, B, N), reductionTolerance(B)]]);
      }),
    );
  }
  seed = 3100;
  for (const n of [1, 1000, 65537]) {
    cases.push(
      kcase('accumulate', `n=${n}`, ++seed, async (rt, rng, check) => {
        const a = rng.floats(n);
        const o = rng.floats(n);
        const A = Tensor.from(rt, a, [n], 'a');
        const O = Tensor.from(rt, o, [n], 'out');
        return check([A], async () => [['out', await accumulate(rt, A, O), ref.accumulate(o, a), ELEMENTWISE_TOL]]);
      }),
    );
  }
  return cases;
}

/**
 * Inputs for the norms: uniform values, or (offset > 0) a large mean with unit spread, where a one-pass
 * E[x^2] - E[x]^2 variance cancels. f32 rounding of the centred values grows with offset, so does the tolerance.
 */
export const normInput = (rng: Rng, n: number, offset: number) => Float32Array.from({ length: n }, () => offset + rng.uniform(-2, 2));
export const normTol = (K: number, offset: number) => reductionTolerance(K, { atol: 1e-5 * (1 + offset / 100), rtol: 1e-4 });

/** Both layouts of LayerNorm's row-wise passes go through every case. */
const LAYERNORM_LAYOUTS = ['workgroup', 'invocation'] as const;

/** LayerNorm forward and backward (all three outputs); gamma, beta in an arena; D = 1, odd, beyond a workgroup, offset. */
export function layerNormCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 6000;
  const shapes: [number, number, number][] = [
    [1, 1, 0],
    [1, 37, 0],
    [37, 13, 0],
    [5, 300, 0],
    [300, 7, 0],
    [16, 64, 1000],
  ];
  for (const [[B, D, offset], layout] of shapes.flatMap((s) => LAYERNORM_LAYOUTS.map((l) => [s, l] as const))) {
    const tag = `${B}x${D}${offset ? ` mean ${offset}` : ''} ${layout}`;
    cases.push(
      kcase('layernorm', tag, ++seed, async (rt, rng, check) => {
        const [x, g, b] = [normInput(rng, B * D, offset), rng.floats(D, 0.5, 2), rng.floats(D)];
        const want = ref.layerNormForward(x, g, b, B, D);
        const X = Tensor.from(rt, x, [B, D], 'x');
        const { owner, views } = arena(rt, [
          { data: g, shape: [D] },
          { data: b, shape: [D] },
        ]);
        const tol = normTol(D, offset);
        return check([X, owner], async () => {
          const o = await layerNorm(rt, X, views[0]!, views[1]!, { layout });
          return [
            ['y', o.y, want.y, tol],
            ['mean', o.mean, want.mean, tol],
            ['rstd', o.rstd, want.rstd, tol],
          ];
        });
      }),
    );
    cases.push(
      kcase('layernorm_backward', tag, ++seed, async (rt, rng, check) => {
        const [x, g, dy] = [normInput(rng, B * D, offset), rng.floats(D, 0.5, 2), rng.floats(B * D)];
        const fwd = ref.layerNormForward(x, g, new Float32Array(D), B, D);
        const want = ref.layerNormBackward(x, g, dy, B, D);
        const [X, G, DY] = [Tensor.from(rt, x, [B, D], 'x'), Tensor.from(rt, g, [D], 'gamma'), Tensor.from(rt, dy, [B, D], 'dy')];
        const M = Tensor.from(rt, Float32Array.from(fwd.mean), [B], 'mean');
        const R = Tensor.from(rt, Float32Array.from(fwd.rstd), [B], 'rstd');
        const tol = normTol(Math.max(B, D), offset);
        return check([X, G, DY, M, R], async () => {
          const o = await layerNormBackward(rt, { x: X, gamma: G, mean: M, rstd: R, dy: DY }, { layout });
          return [
            ['dx', o.dx, want.dx, tol],
            ['dgamma', o.dgamma, want.dgamma, tol],
            ['dbeta', o.dbeta, want.dbeta, tol],
          ];
        });
      }),
    );
    if (offset === 0 && B > 1) {
      cases.push(
        // The second contribution to an input's gradient: dx added onto a buffer that already holds one.
        kcase('layernorm_backward_accumulate', tag, ++seed, async (rt, rng, check) => {
          const [x, g, dy, before] = [normInput(rng, B * D, 0), rng.floats(D, 0.5, 2), rng.floats(B * D), rng.floats(B * D)];
          const fwd = ref.layerNormForward(x, g, new Float32Array(D), B, D);
          const want = ref.layerNormBackward(x, g, dy, B, D).dx.map((v, i) => v + before[i]!);
          const [X, G, DY] = [Tensor.from(rt, x, [B, D], 'x'), Tensor.from(rt, g, [D], 'gamma'), Tensor.from(rt, dy, [B, D], 'dy')];
          const M = Tensor.from(rt, Float32Array.from(fwd.mean), [B], 'mean');
          const R = Tensor.from(rt, Float32Array.from(fwd.rstd), [B], 'rstd');
          const DX = Tensor.from(rt, before, [B, D], 'dx');
          return check([X, G, DY, M, R], async () => {
            await runPrepared(rt, [], [() => prepareLayerNormBackward(rt, { x: X, gamma: G, mean: M, rstd: R, dy: DY, dx: DX }, { layout, accumulate: true })]);
            return [['dx', DX, want, normTol(Math.max(B, D), 0)]];
          });
        }),
      );
    }
  }
  return cases;
}

/** BatchNorm training forward (with running stats), evaluation forward and backward; B = 1, 2, odd, large, offset. */
/** BatchNorm's break-it shapes [B, D, mean offset]: one row, two rows, odd, beyond a workgroup, a large mean. */
export const BATCHNORM_SHAPES: readonly [number, number, number][] = [
  [1, 5, 0],
  [2, 3, 0],
  [37, 13, 0],
  [300, 70, 0],
  [64, 9, 1000],
];

export function batchNormCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 7000;
  for (const [B, D, offset] of BATCHNORM_SHAPES) {
    const tag = `${B}x${D}${offset ? ` mean ${offset}` : ''}`;
    const tol = normTol(B, offset);
    cases.push(
      kcase('batchnorm_train', tag, ++seed, async (rt, rng, check) => {
        const [x, g, b, rm, rv] = [normInput(rng, B * D, offset), rng.floats(D, 0.5, 2), rng.floats(D), rng.floats(D), rng.floats(D, 0.5, 2)];
        const want = ref.batchNormTrain(x, g, b, rm, rv, B, D, { momentum: 0.25 });
        const X = Tensor.from(rt, x, [B, D], 'x');
        // Written running statistics may not share a buffer with read-only inputs: parameters and stats in two arenas.
        const pa = arena(
          rt,
          [g, b].map((data) => ({ data, shape: [D] })),
        );
        const sa = arena(
          rt,
          [rm, rv].map((data) => ({ data, shape: [D] })),
        );
        const [G, Bt, RM, RV] = [...pa.views, ...sa.views] as [Tensor, Tensor, Tensor, Tensor];
        return check([X, pa.owner, sa.owner], async () => {
          const o = await batchNormTrain(rt, { x: X, gamma: G, beta: Bt, runningMean: RM, runningVar: RV }, { momentum: 0.25 });
          return [
            ['y', o.y, want.y, tol],
            ['mean', o.mean, want.mean, tol],
            ['rstd', o.rstd, want.rstd, tol],
            ['runningMean', RM, want.runningMean, tol],
            ['runningVar', RV, want.runningVar, tol],
          ];
        });
      }),
    );
    cases.push(
      kcase('batchnorm_backward', tag, ++seed, async (rt, rng, check) => {
        const [x, g, dy] = [normInput(rng, B * D, offset), rng.floats(D, 0.5, 2), rng.floats(B * D)];
        const fwd = ref.batchNormTrain(x, g, new Float32Array(D), new Float32Array(D), new Float32Array(D), B, D);
        const want = ref.batchNormBackward(x, g, dy, B, D);
        const [X, G, DY] = [Tensor.from(rt, x, [B, D], 'x'), Tensor.from(rt, g, [D], 'gamma'), Tensor.from(rt, dy, [B, D], 'dy')];
        const M = Tensor.from(rt, Float32Array.from(fwd.mean), [D], 'mean');
        const R = Tensor.from(rt, Float32Array.from(fwd.rstd), [D], 'rstd');
        return check([X, G, DY, M, R], async () => {
          const o = await batchNormBackward(rt, { x: X, gamma: G, mean: M, rstd: R, dy: DY });
          return [
            ['dx', o.dx, want.dx, tol],
            ['dgamma', o.dgamma, want.dgamma, tol],
            ['dbeta', o.dbeta, want.dbeta, tol],
          ];
        });
      }),
    );
  }
  for (const [B, D] of [
    [1, 1],
    [37, 13],
    [100, 70],
  ] as const) {
    cases.push(
      kcase('batchnorm_eval', `${B}x${D}`, ++seed, async (rt, rng, check) => {
        const [x, g, b, rm, rv] = [rng.floats(B * D, -3, 3), rng.floats(D, 0.5, 2), rng.floats(D), rng.floats(D), rng.floats(D, 0.1, 2)];
        const X = Tensor.from(rt, x, [B, D], 'x');
        const { owner, views } = arena(
          rt,
          [g, b, rm, rv].map((data) => ({ data, shape: [D] })),
        );
        const [G, Bt, RM, RV] = views as [Tensor, Tensor, Tensor, Tensor];
        const want = ref.batchNormEval(x, g, b, rm, rv, B, D);
        return check([X, owner], async () => [
          ['y', await batchNormEval(rt, { x: X, gamma: G, beta: Bt, runningMean: RM, runningVar: RV }), want, ELEMENTWISE_TOL],
        ]);
      }),
    );
  }
  return cases;
}

interface TelemetrySpec {
  tag: string;
  /** Lengths of consecutive segments covering the gradients. */
  lengths: number[];
  B: number;
  slots: number;
  slot: number;
  withCorrect?: boolean;
  poison?: [index: number, value: number][];
  badLoss?: number[];
}

/** Telemetry into one slot of a ring: tiny, many segments (more than a workgroup), empty ones, NaN / Inf, no accuracy. */
export function telemetryCases(): KernelCase[] {
  const specs: TelemetrySpec[] = [
    { tag: 'S=1 n=1', lengths: [1], B: 1, slots: 1, slot: 0, withCorrect: true },
    { tag: 'S=5 slot 2/3, empty + long segments', lengths: [300, 0, 5000, 1, 37], B: 37, slots: 3, slot: 2, withCorrect: true },
    {
      tag: 'S=4 NaN and Inf gradients',
      lengths: [100, 700, 50, 3],
      B: 16,
      slots: 2,
      slot: 1,
      withCorrect: true,
      poison: [
        [150, NaN],
        [151, Infinity],
        [852, -Infinity],
      ],
    },
    { tag: 'S=2 NaN loss, no accuracy', lengths: [10, 10], B: 8, slots: 1, slot: 0, badLoss: [3] },
    { tag: 'S=300 B=300', lengths: new Array<number>(300).fill(7), B: 300, slots: 2, slot: 0, withCorrect: true },
  ];
  return specs.map((sp, i) =>
    kcase('telemetry', sp.tag, 8001 + i, async (rt, rng, check) => {
      let n = 0;
      const segments: Segment[] = sp.lengths.map((length) => ({ offset: (n += length) - length, length }));
      const grads = rng.floats(n, -2, 2);
      for (const [k, v] of sp.poison ?? []) grads[k] = v;
      const loss = rng.floats(sp.B, 0, 3);
      for (const k of sp.badLoss ?? []) loss[k] = NaN;
      const correct = Float32Array.from({ length: sp.B }, () => rng.int(2));
      const stride = 4 + 2 * segments.length;
      const ring = rng.floats(sp.slots * stride, 50, 60); // the other slots must keep these
      const want = Float64Array.from(ring);
      want.set(ref.telemetry(grads, segments, loss, sp.withCorrect ? correct : undefined), sp.slot * stride);
      const { owner, views } = arena(rt, [{ data: grads, shape: [n] }]);
      const seg = segmentTable(rt, segments, n);
      const L = Tensor.from(rt, loss, [sp.B], 'loss');
      const C = Tensor.from(rt, correct, [sp.B], 'correct');
      const M = Tensor.from(rt, ring, [sp.slots, stride], 'metrics');
      const tol = reductionTolerance(Math.max(sp.B, ...sp.lengths));
      return check([owner, seg, L, C], async () => {
        const t = { grads: views[0]!, segments: seg, loss: L, metrics: M, ...(sp.withCorrect ? { correct: C } : {}) };
        await telemetry(rt, t, { slot: sp.slot });
        return [['metrics', M, want, tol]];
      });
    }),
  );
}
