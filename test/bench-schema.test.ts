// The JSON the benchmark writes for the conv suite, LeNet-5's training row and the gpt row (its generation and
// attention figures included): every field, its type, and the peers' cells (a figure, or why there is none), after a round trip through JSON.stringify as bench-results.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/gpu/runtime.js';
import { createRuntime } from '../src/runtime.js';
import { CONV_LAYERS, CONV_PASSES, QUICK_CONV_LAYERS, convFlops, timesVariants, type ConvLayerSpec } from '../src/bench/conv.js';
import { runBenchmarks, type BenchReport, type PeerRunner } from '../src/bench/suite.js';
import { QUICK_WORKLOADS, WORKLOADS } from '../src/bench/train.js';
import { formatReport } from '../src/bench/report.js';
import { GPT_SPEC, gptModel, gptWorkloadName, type GptSpec } from '../src/bench/peers/gpt-common.js';
import { gptAttentionShapes, UNFUSED_NOTE } from '../src/bench/gpt-attention.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime();
});
afterAll(() => rt?.destroy());

const TINY: ConvLayerSpec = { name: 'tiny 6x6x2 -> 3, 3x3 same, batch 2', batch: 2, h: 6, w: 6, c: 2, oc: 3, k: 3, padding: 'same' };
const LENET = { ...WORKLOADS.find((w) => w.model === 'lenet')!, name: 'LeNet-5 28x28x1, batch 4, Adam', batch: 4 };

type Json = Record<string, unknown>;
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
/** The fields of a Timing object. */
function expectTiming(t: unknown, method: RegExp): void {
  const o = t as Json;
  expect(Object.keys(o).sort()).toEqual(['max', 'median', 'method', 'min', 'repetitions']);
  for (const k of ['median', 'min', 'max']) expect(o[k], k).toBeGreaterThan(0);
  expect(Number.isInteger(o.repetitions)).toBe(true);
  expect(o.method).toMatch(method);
}

describe('benchmark JSON: conv rows and the LeNet-5 training row', () => {
  it('the default run has LeNet-5 at batch 64 with Adam; the quick preset at batch 8 on one small layer', () => {
    expect(WORKLOADS.map((w) => [w.name, w.batch, w.model ?? 'mlp'])).toContainEqual(['LeNet-5 28x28x1, batch 64, Adam', 64, 'lenet']);
    expect(CONV_LAYERS.map((l) => l.name)).toEqual([
      'LeNet conv1 28x28x1 -> 6, 5x5 same, batch 64',
      'LeNet conv2 14x14x6 -> 16, 5x5 valid, batch 64',
      'ResNet 3x3 32x32x64 -> 64, same, batch 32',
    ]);
    expect(QUICK_WORKLOADS.find((w) => w.model === 'lenet')).toMatchObject({ batch: 8, name: 'LeNet-5 28x28x1, batch 8, Adam' });
    expect(QUICK_CONV_LAYERS).toEqual([{ ...CONV_LAYERS[1], batch: 8, name: 'LeNet conv2 14x14x6 -> 16, 5x5 valid, batch 8' }]);
  });

  it('times the conv variants for every layer on a GPU and for LeNet-sized passes only on a software adapter', () => {
    const [conv1, conv2, resnet] = CONV_LAYERS as [ConvLayerSpec, ConvLayerSpec, ConvLayerSpec];
    for (const l of [conv1, conv2, resnet, ...QUICK_CONV_LAYERS]) expect(timesVariants({ isSoftware: false }, l), l.name).toBe(true);
    expect([conv1, conv2, resnet, ...QUICK_CONV_LAYERS].map((l) => timesVariants({ isSoftware: true }, l))).toEqual([true, true, false, true]);
  });

  it('every field of a conv row and of the LeNet-5 row, with one peer measured and one failing', { timeout: 180_000 }, async () => {
    const peer = (name: string, fail: boolean): PeerRunner => ({
      name,
      version: '1',
      matmul: () => Promise.reject(new Error('not used')),
      mlpTrainStep: () => Promise.reject(new Error('not used')),
      conv: (_l, pass) => (fail ? Promise.reject(new Error(`no ${pass}`)) : Promise.resolve({ gflops: 0.5 })),
      cnnTrainStep: (o) =>
        fail ? Promise.reject(new Error('out of memory')) : Promise.resolve({ msPerStep: 100, samplesPerSecond: o.batch * 10, lossFirst: 2.3, lossLast: 2 }),
    });
    const report = await runBenchmarks(rt, {
      suites: ['conv', 'train'],
      convLayers: [TINY],
      workloads: [LENET],
      peers: [peer('good', false), peer('bad', true)],
      wallClock: { minMs: 10, reps: 2 },
    });
    const json = JSON.parse(JSON.stringify(report)) as BenchReport & Json;
    expect(json.peers).toEqual([
      { name: 'good', version: '1' },
      { name: 'bad', version: '1' },
    ]);

    expect(json.conv.map((c) => c.pass)).toEqual([...CONV_PASSES]);
    for (const c of json.conv as unknown as Json[]) {
      expect(Object.keys(c).sort()).toEqual(['gflops', 'layer', 'pass', 'peerErrors', 'peers', 'timing', 'variants', 'vsBestPeer', 'wallClock']);
      // The gemm variant beside 'auto' (which runs other kernels on this software adapter), on the same pass.
      expect(Object.keys(c.variants as Json)).toEqual(['gemm']);
      expect((c.variants as Json).gemm).toBeGreaterThan(0);
      expect(c.layer).toBe(TINY.name);
      expectTiming(c.timing, /^(gpu-timestamps|wall-clock)$/);
      expect(c.gflops).toBeCloseTo(convFlops(TINY) / ((c.timing as Json).median as number) / 1e6, 9);
      const wall = c.wallClock as Json;
      expect(Object.keys(wall).sort()).toEqual(['gflops', 'perBatch', 'timing']);
      expectTiming(wall.timing, /^wall-clock-submits$/);
      expect(Number.isInteger(wall.perBatch) && (wall.perBatch as number) >= 1).toBe(true);
      expect(c.peers).toEqual({ good: 0.5 });
      expect(c.peerErrors).toEqual({ bad: `failed: no ${c.pass as string}` });
      expect(c.vsBestPeer).toEqual({ ratio: (wall.gflops as number) / 0.5, peer: 'good', descent: wall.gflops, best: 0.5 });
    }

    expect(formatReport(json).split('\n')).toContainEqual(expect.stringMatching(/^layer\s+pass\s+timestamps\s+wall\s+gemm\s+good\s+bad\s+wall \/ best peer$/));

    expect(json.training).toHaveLength(1);
    const t = json.training[0] as unknown as Json;
    expect(Object.keys(t).sort()).toEqual([
      'dispatchesPerStep',
      'lossFirst',
      'lossLast',
      'peakBytes',
      'peerErrors',
      'peers',
      'samplesPerSecond',
      'timing',
      'transientBytes',
      'unsharedBytes',
      'workload',
    ]);
    expect(t.workload).toBe(LENET.name);
    expectTiming(t.timing, /^wall-clock$/);
    expect(t.samplesPerSecond).toBeCloseTo((LENET.batch * 1000) / ((t.timing as Json).median as number), 6);
    for (const k of ['dispatchesPerStep', 'peakBytes', 'transientBytes', 'unsharedBytes']) expect(Number.isInteger(t[k]) && (t[k] as number) > 0, k).toBe(true);
    for (const k of ['lossFirst', 'lossLast']) expect(isNum(t[k]), k).toBe(true);
    expect(t.peers).toEqual({ good: { msPerStep: 100, samplesPerSecond: 40, lossFirst: 2.3, lossLast: 2 } });
    expect(t.peerErrors).toEqual({ bad: 'failed: out of memory' });
  });
});

describe('benchmark JSON: the gpt row', () => {
  const SPEC: GptSpec = { vocab: 11, context: 8, layers: 1, heads: 2, channels: 16, batch: 2 };
  const params = gptModel(SPEC).layout.count;

  /** The generation and attention fields of a gpt row (SPEC: prompt clipped to half the context, T = 8 and 32). */
  function expectGenerationAndAttention(g: Json): void {
    const gen = g.generation as Json;
    expect(Object.keys(gen).sort()).toEqual([
      'cached',
      'cachedTokensPerSecond',
      'newTokens',
      'promptTokens',
      'recompute',
      'recomputeTokensPerSecond',
      'sameTokens',
      'speedup',
    ]);
    expect([gen.promptTokens, gen.newTokens]).toEqual([4, 64]);
    for (const k of ['cached', 'recompute']) expectTiming(gen[k], /^wall-clock$/);
    expect((gen.cached as Json).repetitions).toBe(3);
    const tps = (k: string) => (64 * 1000) / ((gen[k] as Json).median as number);
    expect(gen.cachedTokensPerSecond).toBeCloseTo(tps('cached'), 6);
    expect(gen.recomputeTokensPerSecond).toBeCloseTo(tps('recompute'), 6);
    expect(gen.speedup).toBeCloseTo((gen.cachedTokensPerSecond as number) / (gen.recomputeTokensPerSecond as number), 9);
    expect(typeof gen.sameTokens).toBe('boolean');

    const att = g.attention as Json[];
    expect(att.map((a) => a.shape)).toEqual([
      { B: 2, T: 8, H: 2, D: 8 },
      { B: 1, T: 32, H: 2, D: 8 },
    ]);
    for (const a of att) {
      expect(Object.keys(a).sort()).toEqual([
        'backwardSpeedup',
        'forwardSpeedup',
        'fusedBackward',
        'fusedForward',
        'note',
        'shape',
        'unfusedBackward',
        'unfusedBackwardDispatches',
        'unfusedForward',
        'unfusedForwardDispatches',
      ]);
      for (const k of ['fusedForward', 'fusedBackward', 'unfusedForward', 'unfusedBackward']) expectTiming(a[k], /^(gpu-timestamps|wall-clock)$/);
      // The composed implementation: Q K^T, softmax, P V; dP, softmax backward, dQ, dK, dV, each over every head.
      expect(a.unfusedForwardDispatches).toBe(3);
      expect(a.unfusedBackwardDispatches).toBe(5);
      const median = (k: string) => (a[k] as Json).median as number;
      expect(a.forwardSpeedup).toBeCloseTo(median('unfusedForward') / median('fusedForward'), 9);
      expect(a.backwardSpeedup).toBeCloseTo(median('unfusedBackward') / median('fusedBackward'), 9);
      expect(a.note).toBe(UNFUSED_NOTE);
    }
  }

  it("attention shapes: the GPT's heads and head size at T = context and 4 * context, the same tokens per batch", () => {
    expect(gptAttentionShapes(GPT_SPEC)).toEqual([
      { B: 16, T: 64, H: 4, D: 16 },
      { B: 4, T: 256, H: 4, D: 16 },
    ]);
  });

  it('the default GPT is 2 blocks of 4 heads, C = 64, T = 64, V = 65, batch 16', () => {
    expect(GPT_SPEC).toEqual({ vocab: 65, context: 64, layers: 2, heads: 4, channels: 64, batch: 16 });
    expect(gptModel(GPT_SPEC).layout.count).toBe(112_577);
    expect(gptWorkloadName(GPT_SPEC)).toBe('GPT 2x4h C=64, T=64, V=65, batch 16, AdamW');
  });

  it('every field of the gpt row; a peer that did not train or built another model is marked and not compared', { timeout: 180_000 }, async () => {
    const figure = (tokensPerSecond: number, lossLast: number, n = params) => ({
      msPerStep: 16_000 / tokensPerSecond,
      tokensPerSecond,
      lossFirst: 2.4,
      lossLast,
      params: n,
    });
    const peer = (name: string, gpt: () => Promise<ReturnType<typeof figure>>): PeerRunner => ({
      name,
      version: '1',
      matmul: () => Promise.reject(new Error('not used')),
      mlpTrainStep: () => Promise.reject(new Error('not used')),
      gptTrainStep: gpt,
    });
    const report = await runBenchmarks(rt, {
      suites: ['gpt'],
      gptSpec: SPEC,
      peers: [
        peer('good', () => Promise.resolve(figure(100, 2))),
        peer('faster', () => Promise.resolve(figure(400, 2))),
        peer('flat', () => Promise.resolve(figure(1e6, 2.5))),
        peer('other', () => Promise.resolve(figure(1e6, 2, params + 1))),
        peer('bad', () => Promise.reject(new Error('out of memory'))),
      ],
    });
    const json = JSON.parse(JSON.stringify(report)) as BenchReport & Json;
    expect(json.gpt).toHaveLength(1);
    const g = json.gpt[0] as unknown as Json;
    expect(Object.keys(g).sort()).toEqual([
      'attention',
      'dispatchesPerStep',
      'generation',
      'lossFirst',
      'lossLast',
      'msPerStep',
      'params',
      'peerErrors',
      'peers',
      'spec',
      'timing',
      'tokensPerSecond',
      'trains',
      'vsBestPeer',
      'workload',
    ]);
    expect(g.workload).toBe(gptWorkloadName(SPEC));
    expect(g.spec).toEqual(SPEC);
    expect(g.params).toBe(params);
    expectTiming(g.timing, /^wall-clock$/);
    expect(g.msPerStep).toBe((g.timing as Json).median);
    expect(g.tokensPerSecond).toBeCloseTo((SPEC.batch * SPEC.context * 1000) / (g.msPerStep as number), 6);
    expect(Number.isInteger(g.dispatchesPerStep) && (g.dispatchesPerStep as number) > 0).toBe(true);
    for (const k of ['lossFirst', 'lossLast']) expect(isNum(g[k]), k).toBe(true);
    expect(g.trains).toBe((g.lossLast as number) < (g.lossFirst as number));
    expect(g.peers).toEqual({ good: figure(100, 2), faster: figure(400, 2), flat: figure(1e6, 2.5), other: figure(1e6, 2, params + 1) });
    expect(g.peerErrors).toEqual({
      flat: 'not compared: did not train: loss 2.4000 -> 2.5000',
      other: `not compared: its model has ${params + 1} parameters, Descent's ${params}`,
      bad: 'failed: out of memory',
    });
    // The ratio is to the fastest peer that trained the same model, not to the faster ones that did not.
    expect(g.vsBestPeer).toEqual({ peer: 'faster', ratio: (g.tokensPerSecond as number) / 400 });
    expectGenerationAndAttention(g);
    const text = formatReport(json);
    expect(text).toContain(`${gptWorkloadName(SPEC)}: ${params} parameters`);
    expect(text).toMatch(/generation, greedy, 64 tokens from a 4-token prompt/);
    expect(text).toMatch(/generate \(key\/value cache\) .* tokens\/s/);
    expect(text).toMatch(/predict over the window .* tokens\/s/);
    expect(text).toMatch(/cache \/ recompute: \d+\.\d\dx tokens\/s/);
    expect(text).toMatch(/attention, fused against unfused/);
    expect(text).toMatch(/fused fwd +unfused fwd +speedup +fused bwd +unfused bwd +speedup +dispatches \(unfused fwd \/ bwd\)/);
    // Each row: four times and two speedups, then the composition's dispatches (3 forward, 5 backward).
    expect(text).toMatch(/2x8x2x8( +\d+\.\d{3}){2} +\d+\.\d\dx( +\d+\.\d{3}){2} +\d+\.\d\dx +3 \/ 5$/m);
    expect(text).toMatch(/1x32x2x8( +\d+\.\d{3}){2} +\d+\.\d\dx( +\d+\.\d{3}){2} +\d+\.\d\dx +3 \/ 5$/m);
    expect(text).toContain(UNFUSED_NOTE);
    expect(text).toMatch(/flat .* NOT COMPARED: did not train/);
    expect(text).toContain('bad        failed: out of memory');
    expect(text).toContain('Descent / best peer (faster): ');
  });
});
