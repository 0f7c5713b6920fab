// What both peers share: the timing protocol and the seeded training problem, so they differ only in the library.
import { Rng } from '../../util/rng.js';
import { timeBackToBack } from '../timing.js';
import type { PeerMatmulOptions, PeerMatmulResult, PeerMlpOptions, PeerMlpResult } from './types.js';

/**
 * Time n x n matmuls by the peers' protocol (timing.ts's timeBackToBack): `runBatch(k)` issues k matmuls back
 * to back and resolves once the GPU has finished them. Descent's own figure under this protocol is timed the same way.
 */
export async function timeMatmul(n: number, runBatch: (k: number) => Promise<void>, options: PeerMatmulOptions = {}): Promise<PeerMatmulResult> {
  return timeFlops(2 * n ** 3, runBatch, options);
}

/** timeMatmul for any operation of `flops` floating-point operations per call (a convolution pass). */
export async function timeFlops(flops: number, runBatch: (k: number) => Promise<void>, options: PeerMatmulOptions = {}): Promise<PeerMatmulResult> {
  const { timing, perBatch } = await timeBackToBack(runBatch, options);
  return { msMedian: timing.median, msMin: timing.min, msMax: timing.max, gflops: flops / (timing.median * 1e6), perBatch };
}

/** Seeded random f32 n x n matrix in [-1, 1) (Descent's benchmark uses the same generator). */
export const randomMatrix = (n: number, seed: number): Float32Array => new Rng(seed).floats(n * n);

/** Batches cycled through during training: few enough that the model memorises them, so the loss visibly falls. */
export const MLP_BATCHES = 4;

/** The training problem both peers solve: Glorot-uniform weights, zero biases, random inputs, random one-hot labels. */
export interface MlpProblem {
  layers: number[];
  batch: number;
  /** weights[i] is layers[i] x layers[i+1], row-major. */
  weights: Float32Array[];
  biases: Float32Array[];
  /** MLP_BATCHES batches: x is batch x layers[0], y one-hot batch x classes. */
  xs: Float32Array[];
  ys: Float32Array[];
}

export function mlpProblem(layers: number[], batch: number, seed = 1): MlpProblem {
  if (layers.length < 2 || layers.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`bad layer widths [${layers.join(', ')}]`);
  const rng = new Rng(seed);
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let i = 0; i + 1 < layers.length; i++) {
    const [fin, fout] = [layers[i]!, layers[i + 1]!];
    const lim = Math.sqrt(6 / (fin + fout));
    weights.push(rng.floats(fin * fout, -lim, lim));
    biases.push(new Float32Array(fout));
  }
  const classes = layers[layers.length - 1]!;
  const xs: Float32Array[] = [];
  const ys: Float32Array[] = [];
  for (let b = 0; b < MLP_BATCHES; b++) {
    xs.push(rng.floats(batch * layers[0]!));
    const y = new Float32Array(batch * classes);
    for (let r = 0; r < batch; r++) y[r * classes + rng.int(classes)] = 1;
    ys.push(y);
  }
  return { layers, batch, weights, biases, xs, ys };
}

/**
 * LeNet-5 as both peers build it: 28x28x1 -> conv 6 5x5 'same' + ReLU -> max pool 2 -> conv 16 5x5 'valid' + ReLU
 * -> max pool 2 -> flatten 400 -> dense 120 + ReLU -> dense 84 + ReLU -> dense 10 (Descent's LENET in train.ts).
 * Weights Glorot-uniform in each library's own layout, drawn from `params` (count and fans given); inputs and one-hot
 * labels as the MLP's.
 */
export const LENET_CONVS = [
  { k: 5, c: 1, oc: 6 },
  { k: 5, c: 6, oc: 16 },
] as const;
export const LENET_DENSE = [400, 120, 84, 10] as const;

/** Seeded Glorot-uniform values for a weight of `size` values with the given fans. */
export const glorot = (rng: Rng, size: number, fanIn: number, fanOut: number): Float32Array => {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  return rng.floats(size, -lim, lim);
};

/** Inputs (batch x 784, in [-1, 1)) and one-hot labels for LeNet, MLP_BATCHES of each. */
export function lenetBatches(batch: number, rng: Rng): { xs: Float32Array[]; ys: Float32Array[] } {
  const xs: Float32Array[] = [];
  const ys: Float32Array[] = [];
  for (let b = 0; b < MLP_BATCHES; b++) {
    xs.push(rng.floats(batch * 784));
    const y = new Float32Array(batch * 10);
    for (let r = 0; r < batch; r++) y[r * 10 + rng.int(10)] = 1;
    ys.push(y);
  }
  return { xs, ys };
}

/** Default learning rates: Adam's usual 1e-3, and the 0.05 Descent's training benchmark uses for SGD. */
export const defaultLr = (o: PeerMlpOptions): number => o.lr ?? (o.optimizer === 'adam' ? 1e-3 : 0.05);
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** One peer's training step on batch `b` of the problem; it returns a handle to its loss only when `keep`. */
export interface StepDriver<L> {
  step(b: number, keep: boolean): L | undefined;
  /** Resolve once everything submitted so far has run on the GPU. */
  sync(): Promise<void>;
  /** The loss behind a kept handle (reading it, then freeing it). */
  read(loss: L): Promise<number>;
}

/**
 * The training protocol for every peer, as in Descent's own benchmark: each step submits its work without waiting;
 * the GPU is waited on every `syncEvery` steps and at the end. The first step (batch 0) and the last (batch 0 again)
 * keep their loss, read only after the clock stops.
 */
export async function timeTraining<L>(o: PeerMlpOptions, d: StepDriver<L>): Promise<PeerMlpResult> {
  const warmup = Math.max(1, o.warmup);
  const steps = Math.max(1, o.steps);
  const syncEvery = Math.max(1, o.syncEvery ?? 50);
  const first = d.step(0, true);
  for (let s = 1; s < warmup; s++) d.step(s % MLP_BATCHES, false);
  await d.sync();
  const t0 = performance.now();
  let last: L | undefined;
  for (let s = 0; s < steps; s++) {
    const final = s === steps - 1;
    const r = d.step(final ? 0 : (warmup + s) % MLP_BATCHES, final);
    if (final) last = r;
    if (final || (s + 1) % syncEvery === 0) await d.sync();
  }
  const ms = performance.now() - t0;
  const lossFirst = await d.read(first!);
  const lossLast = await d.read(last!);
  return { msPerStep: ms / steps, samplesPerSecond: (steps * o.batch * 1000) / ms, lossFirst, lossLast };
}

/**
 * Errors a peer's device raised outside any error scope (an invalid command buffer is only reported this way):
 * without this, a benchmark of work that never ran would time an empty queue.
 */
export class DeviceErrors {
  private readonly seen: string[] = [];
  private readonly listener = (ev: Event) => {
    if (this.seen.length < 4) this.seen.push((ev as GPUUncapturedErrorEvent).error.message);
  };

  constructor(
    private readonly device: GPUDevice,
    private readonly who: string,
  ) {
    device.addEventListener('uncapturederror', this.listener);
  }

  /** Throw what was reported since the last check. */
  check(): void {
    if (this.seen.length === 0) return;
    const msgs = this.seen.splice(0);
    throw new Error(`${this.who}'s WebGPU device reported: ${msgs.join('; ')}`);
  }

  stop(): void {
    this.device.removeEventListener('uncapturederror', this.listener);
  }
}
