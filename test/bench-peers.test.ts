// The peer libraries (TF.js, jax-js) load on the same Dawn adapter as Descent, time a matmul and train an MLP.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/gpu/runtime.js';
import { createRuntime } from '../src/runtime.js';
import { dawnInstance } from '../src/gpu/device.js';
import { loadJax, loadTfjs, isPeer, sharedGpu, type Peer, type PeerLoadFailure } from '../src/bench/peers/index.js';
import { JAX_VERSION } from '../src/bench/peers/jax.js';
import { runBenchmarks, type PeerRunner } from '../src/bench/suite.js';
import { CONV_PASSES, convFlops, type ConvLayerSpec } from '../src/bench/conv.js';

const TINY_CONV: ConvLayerSpec = { name: 'tiny 8x8x3 -> 4, 3x3 same, batch 2', batch: 2, h: 8, w: 8, c: 3, oc: 4, k: 3, padding: 'same' };

let rt: Runtime;
beforeAll(async () => {
  // Descent first: it picks the Vulkan driver and creates the process's one Dawn instance, which the peers share.
  rt = await createRuntime();
});
afterAll(() => rt?.destroy());

const loaders = { tfjs: loadTfjs, jax: loadJax } as const;

describe.each(['tfjs', 'jax'] as const)('peer %s', (name) => {
  let loaded: Peer | PeerLoadFailure;
  let peer: Peer;
  beforeAll(async () => {
    loaded = await loaders[name]();
    if (isPeer(loaded)) peer = loaded;
  });
  afterAll(() => peer?.dispose());

  it('loads on the same adapter as Descent', () => {
    // A peer that cannot load fails here with its own error message.
    expect('error' in loaded ? loaded.error : '').toBe('');
    expect(sharedGpu()).toBe(dawnInstance());
    expect(navigator.gpu).toBe(dawnInstance());
    expect(peer.adapter).toBe(rt.description);
    console.log(`[${name} ${peer.version}] adapter: ${peer.adapter}`);
  });

  it('times a 64 x 64 matmul', async () => {
    const r = await peer.matmul(64, { minMs: 20, reps: 3 });
    console.log(
      `[${name}] matmul 64: ${r.msMedian.toFixed(3)} ms (min ${r.msMin.toFixed(3)}, max ${r.msMax.toFixed(3)}), ${r.gflops.toFixed(3)} GFLOP/s, ${r.perBatch}/batch`,
    );
    for (const v of [r.msMedian, r.msMin, r.msMax, r.gflops]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(r.msMin).toBeLessThanOrEqual(r.msMedian);
    expect(r.msMedian).toBeLessThanOrEqual(r.msMax);
  });

  it('times every conv2d pass of a small layer', async () => {
    for (const pass of CONV_PASSES) {
      const r = await peer.conv({ layer: TINY_CONV, pass, minMs: 10, reps: 2 });
      console.log(`[${name}] conv ${pass}: ${r.gflops.toFixed(3)} GFLOP/s, ${r.perBatch}/batch`);
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.gflops).toBeCloseTo(convFlops(TINY_CONV) / (r.msMedian * 1e6), 9);
    }
  }, 150_000);

  it('trains LeNet-5 with Adam: finite timings, falling loss', async () => {
    const r = await peer.cnnTrainStep({ batch: 8, optimizer: 'adam', steps: 12, warmup: 2, syncEvery: 4, lr: 3e-3 });
    console.log(`[${name}] LeNet batch 8: ${r.msPerStep.toFixed(2)} ms/step, loss ${r.lossFirst.toFixed(4)} -> ${r.lossLast.toFixed(4)}`);
    expect(Number.isFinite(r.msPerStep)).toBe(true);
    expect(r.lossFirst).toBeGreaterThan(1.5);
    expect(r.lossFirst).toBeLessThan(4);
    expect(r.lossLast).toBeLessThan(r.lossFirst - 0.05);
  }, 150_000);

  it('trains an MLP [64, 32, 10] with Adam and with SGD: finite timings, falling loss', async () => {
    for (const optimizer of ['adam', 'sgd'] as const) {
      const r = await peer.mlpTrainStep({ layers: [64, 32, 10], batch: 16, optimizer, steps: 20, warmup: 2, syncEvery: 5 });
      console.log(
        `[${name}] MLP 64-32-10 batch 16 ${optimizer}: ${r.msPerStep.toFixed(2)} ms/step, ${Math.round(r.samplesPerSecond)} samples/s, ` +
          `loss ${r.lossFirst.toFixed(4)} -> ${r.lossLast.toFixed(4)}`,
      );
      for (const v of [r.msPerStep, r.samplesPerSecond, r.lossFirst, r.lossLast]) expect(Number.isFinite(v)).toBe(true);
      // Ten classes, Glorot weights, inputs in [-1, 1): the first loss is near ln 10.
      expect(r.lossFirst).toBeGreaterThan(1.5);
      expect(r.lossFirst).toBeLessThan(4);
      expect(r.lossLast).toBeLessThan(r.lossFirst - 0.05);
    }
  });
});

it('both peers start from the same weights and data: the same first loss', async () => {
  const peers = (await Promise.all([loadTfjs(), loadJax()])).filter(isPeer);
  expect(peers.length).toBe(2);
  const first = [];
  for (const p of peers) first.push((await p.mlpTrainStep({ layers: [64, 32, 10], batch: 16, optimizer: 'sgd', steps: 1, warmup: 1 })).lossFirst);
  expect(Math.abs(first[0]! - first[1]!)).toBeLessThan(1e-4);
});

it('TF.js keeps no tensor after a matmul or a training run', async () => {
  const peer = await loadTfjs();
  if (!isPeer(peer)) throw new Error(peer.error);
  const tf = await import('@tensorflow/tfjs');
  const before = tf.memory().numTensors;
  await peer.matmul(32, { minMs: 5, reps: 1 });
  await peer.mlpTrainStep({ layers: [16, 8, 4], batch: 4, optimizer: 'adam', steps: 3, warmup: 1 });
  expect(tf.memory().numTensors).toBe(before);
});

it("jax-js's reported version is the installed one", () => {
  const pkg = JSON.parse(readFileSync('node_modules/@jax-js/jax/package.json', 'utf8')) as { version: string };
  expect(JAX_VERSION).toBe(pkg.version);
});

/** A stand-in peer with known figures (0.5 GFLOP/s matmuls), no training. */
const stubPeer = (more: Partial<PeerRunner> = {}): PeerRunner => ({
  name: 'stub',
  version: '0',
  matmul: async () => ({ gflops: 0.5, msMedian: 1, msMin: 1, msMax: 1 }),
  mlpTrainStep: async () => {
    throw new Error('not used');
  },
  ...more,
});

it("Descent's tuned matmul is also timed by the peers' protocol, and the ratio to the peers comes from that figure", async () => {
  // A stand-in peer with a known figure: what is checked is which of Descent's figures the ratio uses.
  const stub = stubPeer();
  const r = await runBenchmarks(rt, { suites: ['matmul'], sizes: [32], peers: [stub], wallClock: { minMs: 20, reps: 3 } });
  const auto = r.matmul.filter((m) => m.kernel.startsWith('auto') && !m.transA && !m.transB && !m.epilogue);
  expect(auto).toHaveLength(1);
  const w = auto[0]!.wallClock!;
  expect(w.timing.method).toBe('wall-clock-submits');
  expect(w.timing.repetitions).toBe(3);
  expect(w.perBatch).toBeGreaterThanOrEqual(1);
  expect(w.gflops).toBeCloseTo((2 * 32 ** 3) / (w.timing.median * 1e6), 9);
  expect(auto[0]!.timing.method).not.toBe('wall-clock-submits');
  expect(auto[0]!.vsBestPeer).toEqual({ ratio: w.gflops / 0.5, peer: 'stub', descent: w.gflops, best: 0.5 });
  // Only the plain tuned product is timed twice.
  expect(r.matmul.filter((m) => m.wallClock)).toHaveLength(1);
}, 120_000);

it('the conv suite times each pass of a layer on both clocks and compares wall clock with the peers', async () => {
  const stub = stubPeer({ conv: async (_l, pass) => ({ gflops: pass === 'forward' ? 0.25 : 0.5 }) });
  const layers = [TINY_CONV, { ...TINY_CONV, name: 'tiny valid', padding: 'valid' as const }];
  const r = await runBenchmarks(rt, { suites: ['conv'], convLayers: layers, peers: [stub], wallClock: { minMs: 10, reps: 2 } });
  expect(r.conv.map((c) => [c.layer, c.pass])).toEqual(layers.flatMap((l) => CONV_PASSES.map((p) => [l.name, p])));
  for (const c of r.conv) {
    expect(c.timing.method).not.toBe('wall-clock-submits');
    expect(c.wallClock.timing.method).toBe('wall-clock-submits');
    expect(c.wallClock.timing.repetitions).toBe(2);
    const l = layers.find((x) => x.name === c.layer)!;
    expect(c.gflops).toBeCloseTo(convFlops(l) / (c.timing.median * 1e6), 9);
    const best = c.pass === 'forward' ? 0.25 : 0.5;
    expect(c.vsBestPeer).toEqual({ ratio: c.wallClock.gflops / best, peer: 'stub', descent: c.wallClock.gflops, best });
  }
  expect(r.matmul).toEqual([]);
}, 120_000);
