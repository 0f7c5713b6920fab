// The wrappers of the loss, reduction, normalization and telemetry kernels: typed errors before anything reaches
// the GPU, no leaks on error, exact bindings, prepared dispatches replayed with new uniforms, a metrics ring.
import { describe, expect, it } from 'vitest';
import { OptionError, ShapeError, Tensor, reference as ref, type Dispatch, type Runtime } from '../src/index.js';
import { batchNormTrain, prepareBatchNormBackward, prepareBatchNormForwardEval, prepareBatchNormForwardTrain } from '../src/kernels/batchnorm.js';
import { accumulate, prepareAccumulate } from '../src/kernels/elementwise.js';
import { layerNorm, prepareLayerNormBackward, prepareLayerNormBackwardParams, prepareLayerNormForward } from '../src/kernels/layernorm.js';
import { mse, prepareMse, prepareSoftmaxCrossEntropy, softmaxCrossEntropy } from '../src/kernels/loss.js';
import { prepareSumRows, sumRows } from '../src/kernels/reduce.js';
import { decodeMetrics, metricsStride, prepareTelemetry, segmentTable, setTelemetrySlot, telemetry } from '../src/kernels/telemetry.js';
import { allclose, reductionTolerance } from '../src/util/allclose.js';
import { Rng } from '../src/util/rng.js';
import { gpu } from './helpers/gpu.js';

const z = (rt: Runtime, ...shape: number[]) => Tensor.zeros(rt, shape);

/** Expects `f` to reject with `type` and a message containing every fragment; and no buffer to be left behind. */
async function rejects(rt: Runtime, f: () => Promise<unknown>, type: Function, ...fragments: string[]) {
  const before = rt.buffers.stats();
  const err = await f().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected ${type.name}`).toBeInstanceOf(type);
  for (const s of fragments) expect((err as Error).message).toContain(s);
  expect(rt.buffers.stats()).toEqual(before);
}

describe('shape and option errors name the tensors', () => {
  it('losses', async () => {
    const rt = await gpu();
    const [logits, y4, y3] = [z(rt, 4, 3), z(rt, 4), z(rt, 3)];
    await rejects(rt, () => softmaxCrossEntropy(rt, logits, y3), ShapeError, "'labels'", '[4]', '[3]');
    await rejects(rt, () => softmaxCrossEntropy(rt, y4, y4), ShapeError, "'logits'", '2-D');
    await rejects(rt, () => softmaxCrossEntropy(rt, logits, y4, { gradScale: NaN }), OptionError, 'gradScale');
    const wrong = z(rt, 3, 4);
    await rejects(rt, () => mse(rt, logits, wrong), ShapeError, "'target'", '[4, 3]');
  });

  it('sum_rows, accumulate, norms', async () => {
    const rt = await gpu();
    const [x, d3, d4] = [z(rt, 5, 3), z(rt, 3), z(rt, 4)];
    await rejects(rt, () => sumRows(rt, x, d4), ShapeError, "'out'", '[3]');
    await rejects(rt, () => accumulate(rt, d3, d4), ShapeError, "'a'", "'out'");
    await rejects(rt, () => layerNorm(rt, x, d4, d3), ShapeError, "'gamma'", '[3]');
    await rejects(rt, () => layerNorm(rt, x, d3, d3, { eps: -1 }), OptionError, 'eps');
    const t = { x, gamma: d3, beta: d3, runningMean: d3, runningVar: z(rt, 3) };
    await rejects(rt, () => batchNormTrain(rt, t, { momentum: 1.5 }), OptionError, 'momentum', '[0, 1]');
    await rejects(rt, () => batchNormTrain(rt, { ...t, runningVar: d4 }), ShapeError, "'runningVar'", '[3]');
  });

  it('telemetry', async () => {
    const rt = await gpu();
    const [grads, loss] = [z(rt, 10), z(rt, 4)];
    const seg = segmentTable(rt, [{ offset: 0, length: 10 }], 10);
    const stride = metricsStride(1);
    const [ragged, ring, one, c3] = [z(rt, stride + 1), z(rt, 2, stride), z(rt, stride), z(rt, 3)];
    await rejects(rt, () => telemetry(rt, { grads, segments: seg, loss, metrics: ragged }), ShapeError, "'metrics'", `${stride}`);
    await rejects(rt, () => telemetry(rt, { grads, segments: seg, loss, metrics: ring }, { slot: 2 }), OptionError, 'slot', '[0, 1]');
    await rejects(rt, () => telemetry(rt, { grads, segments: seg.buffer, loss, metrics: one }), OptionError, 'segmentCount');
    await rejects(rt, () => telemetry(rt, { grads, segments: seg, loss, correct: c3, metrics: one }), ShapeError, "'correct'");
    expect(() => segmentTable(rt, [{ offset: 8, length: 3 }], 10)).toThrow(ShapeError);
    expect(() => segmentTable(rt, [{ offset: -1, length: 3 }])).toThrow(ShapeError);
    expect(() => decodeMetrics(new Float32Array(stride), 1, 1)).toThrow(ShapeError);
  });
});

/** The names a dispatch binds must be exactly those its entry point declares. */
function expectBinds(d: Dispatch, names: string[]) {
  expect(d.kernel.entry.bindings.map((b) => b.name).sort(), d.label).toEqual([...names].sort());
}

describe('wrappers bind what their shaders declare', () => {
  it('every entry point', async () => {
    const rt = await gpu();
    const [x, y, dx, dy] = [z(rt, 4, 3), z(rt, 4, 3), z(rt, 4, 3), z(rt, 4, 3)];
    const [r4a, r4b, c3a, c3b, c3c, c3d, c3e, c3f] = [z(rt, 4), z(rt, 4), z(rt, 3), z(rt, 3), z(rt, 3), z(rt, 3), z(rt, 3), z(rt, 3)];
    const ds: [Dispatch | Dispatch[], string[]][] = [
      [
        await prepareSoftmaxCrossEntropy(rt, { logits: x, labels: r4a, loss: r4b, dlogits: dx, correct: z(rt, 4) }),
        ['params', 'logits', 'labels', 'loss', 'dlogits', 'correct'],
      ],
      [await prepareMse(rt, { pred: x, target: y, loss: r4a, dpred: dx }), ['params', 'pred', 'tgt', 'loss', 'dpred']],
      [await prepareSumRows(rt, { x, out: c3a }), ['params', 'x', 'out']],
      [await prepareAccumulate(rt, { a: x, out: y }), ['params', 'a', 'out']],
      [await prepareLayerNormForward(rt, { x, gamma: c3a, beta: c3b, y, mean: r4a, rstd: r4b }), ['params', 'x', 'gamma', 'beta', 'y', 'mean', 'rstd']],
      [await prepareLayerNormBackward(rt, { x, gamma: c3a, mean: r4a, rstd: r4b, dy, dx }), ['params', 'x', 'gamma', 'saved_mean', 'saved_rstd', 'dy', 'dx']],
      [
        await prepareLayerNormBackwardParams(rt, { x, mean: r4a, rstd: r4b, dy, dgamma: c3a, dbeta: c3b }),
        ['params', 'x', 'saved_mean', 'saved_rstd', 'dy', 'dgamma', 'dbeta'],
      ],
      [
        await prepareBatchNormForwardTrain(rt, { x, gamma: c3a, beta: c3b, y, mean: c3c, rstd: c3d, runningMean: c3e, runningVar: c3f }),
        ['params', 'x', 'gamma', 'beta', 'y', 'mean', 'rstd', 'running_mean', 'running_var'],
      ],
      [
        await prepareBatchNormForwardEval(rt, { x, gamma: c3a, beta: c3b, runningMean: c3e, runningVar: c3f, y }),
        ['params', 'x', 'gamma', 'beta', 'running_mean_in', 'running_var_in', 'y'],
      ],
      [
        await prepareBatchNormBackward(rt, { x, gamma: c3a, mean: c3c, rstd: c3d, dy, dx, dgamma: c3e, dbeta: c3f }),
        ['params', 'x', 'gamma', 'saved_mean', 'saved_rstd', 'dy', 'dx', 'dgamma', 'dbeta'],
      ],
    ];
    const tel = await prepareTelemetry(rt, {
      grads: z(rt, 8),
      segments: segmentTable(rt, [{ offset: 0, length: 8 }]),
      loss: r4a,
      correct: r4b,
      metrics: z(rt, 6),
    });
    expect(tel.map((d) => d.kernel.entry.name)).toEqual(['segment_norms', 'finish']);
    expectBinds(tel[0]!, ['params', 'grads', 'segments', 'metrics']);
    expectBinds(tel[1]!, ['params', 'loss', 'correct', 'metrics']);
    for (const [d, names] of ds) expectBinds(d as Dispatch, names);
  });
});

describe('prepared dispatches replay with new uniforms', () => {
  it('softmax cross-entropy: a new grad_scale scales dlogits', async () => {
    const rt = await gpu();
    const rng = new Rng(91);
    const logits = Tensor.from(rt, rng.floats(12, -2, 2), [4, 3]);
    const labels = Tensor.from(rt, [0, 2, 1, 1], [4]);
    const out = { loss: z(rt, 4), dlogits: z(rt, 4, 3), correct: z(rt, 4) };
    const d = await prepareSoftmaxCrossEntropy(rt, { logits, labels, ...out }, { gradScale: 1 });
    rt.run([d]);
    const first = await out.dlogits.read();
    d.setUniforms('params', { B: 4, C: 3, grad_scale: -0.5 });
    rt.run([d]);
    const second = await out.dlogits.read();
    expect(
      allclose(
        second,
        first.map((v) => -0.5 * v),
        { atol: 1e-7, rtol: 1e-6 },
      ).ok,
    ).toBe(true);
  });

  it('batchnorm: two training steps compound the running statistics', async () => {
    const rt = await gpu();
    const rng = new Rng(92);
    const [B, D] = [6, 5];
    const xs = [rng.floats(B * D), rng.floats(B * D, 0, 3)];
    const [g, b] = [rng.floats(D, 0.5, 2), rng.floats(D)];
    const x = Tensor.from(rt, xs[0]!, [B, D]);
    const t = {
      x,
      gamma: Tensor.from(rt, g, [D]),
      beta: Tensor.from(rt, b, [D]),
      runningMean: z(rt, D),
      runningVar: Tensor.from(rt, new Float32Array(D).fill(1), [D]),
    };
    const out = { y: z(rt, B, D), mean: z(rt, D), rstd: z(rt, D) };
    const d = await prepareBatchNormForwardTrain(rt, { ...t, ...out });
    let rm: ArrayLike<number> = new Float64Array(D);
    let rv: ArrayLike<number> = new Float64Array(D).fill(1);
    for (const data of xs) {
      x.write(data);
      rt.run([d]);
      ({ runningMean: rm, runningVar: rv } = ref.batchNormTrain(data, g, b, rm, rv, B, D));
    }
    expect(allclose(await t.runningMean.read(), rm, reductionTolerance(B)).ok).toBe(true);
    expect(allclose(await t.runningVar.read(), rv, reductionTolerance(B)).ok).toBe(true);
  });
});

describe('rows beyond one grid row of workgroups', () => {
  it('mse covers 65537 rows dispatched on a 2-D grid', async () => {
    const rt = await gpu();
    const B = 65537;
    const rng = new Rng(93);
    const [p, t] = [rng.floats(B), rng.floats(B)];
    const o = await mse(rt, Tensor.from(rt, p, [B, 1]), Tensor.from(rt, t, [B, 1]), { gradScale: 1 });
    const want = ref.mse(p, t, B, 1, 1);
    const r = allclose(await o.loss.read(), want.loss, { atol: 1e-6, rtol: 1e-5 });
    expect(r.ok, r.detail).toBe(true);
    expect(allclose(await o.dpred.read(), want.dpred, { atol: 1e-6, rtol: 1e-5 }).ok).toBe(true);
  });
});

describe('telemetry into a ring of slots', () => {
  it('prepared once, replayed for 6 steps over 4 slots, each slot decoded against the reference', async () => {
    const rt = await gpu();
    const rng = new Rng(94);
    const segs = [
      { offset: 0, length: 40 },
      { offset: 40, length: 3 },
      { offset: 43, length: 300 },
    ];
    const [n, B, slots, stride] = [343, 9, 4, metricsStride(3)];
    const grads = z(rt, n);
    const loss = z(rt, B);
    const correct = z(rt, B);
    const metrics = z(rt, slots, stride);
    const ds = await prepareTelemetry(rt, { grads, segments: segmentTable(rt, segs, n), loss, correct, metrics });
    const want = new Float64Array(slots * stride);
    for (let step = 0; step < 6; step++) {
      const [g, l, c] = [rng.floats(n, -step, step), rng.floats(B, 0, 2), Float32Array.from({ length: B }, () => rng.int(2))];
      if (step === 4) g[41] = NaN;
      [grads.write(g), loss.write(l), correct.write(c)];
      setTelemetrySlot(ds, step % slots);
      rt.run(ds);
      want.set(ref.telemetry(g, segs, l, c), (step % slots) * stride);
    }
    const data = await metrics.read();
    expect(allclose(data, want, reductionTolerance(300)).ok).toBe(true);
    const m = decodeMetrics(data, 0, 3); // step 4
    expect(m.nonFinite).toBe(true);
    expect(m.segmentNonFinite).toEqual([0, 1, 0]);
    expect(Number.isNaN(m.gradNorm) && Number.isNaN(m.segmentNorms[1]!)).toBe(true);
    const ok = decodeMetrics(data, 1, 3); // step 5
    expect(ok.nonFinite).toBe(false);
    expect(ok.gradNorm).toBeCloseTo(Math.hypot(...ok.segmentNorms), 4);
    expect(() => setTelemetrySlot(ds, 4)).toThrow(OptionError);
  });

  it('a slot past the ring, set directly as a uniform, writes nothing', async () => {
    const rt = await gpu();
    const metrics = Tensor.from(rt, new Float32Array(metricsStride(1)).fill(7), [1, metricsStride(1)]);
    const loss = Tensor.from(rt, [1, 2], [2]);
    const ds = await prepareTelemetry(rt, { grads: Tensor.from(rt, [3, 4], [2]), segments: segmentTable(rt, [{ offset: 0, length: 2 }]), loss, metrics });
    for (const d of ds) d.setUniforms('params', { n: 2, S: 1, B: 2, has_correct: 0, slot: 1, slots: 1 });
    rt.run(ds);
    expect([...(await metrics.read())]).toEqual([7, 7, 7, 7, 7, 7]);
    for (const d of ds) d.setUniforms('params', { n: 2, S: 1, B: 2, has_correct: 0, slot: 0, slots: 1 });
    rt.run(ds);
    const m = decodeMetrics(await metrics.read(), 0, 1);
    expect([m.loss, m.nonFinite, m.gradNorm, m.segmentNorms[0], m.segmentNonFinite[0]]).toEqual([1.5, false, 5, 5, 0]);
    expect(Number.isNaN(m.accuracy)).toBe(true);
  });
});
