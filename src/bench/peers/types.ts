// What a peer library (TF.js, jax-js) offers the benchmark: the same workloads Descent times, as plain numbers.
import type { ConvLayerSpec, ConvPass } from '../conv.js';
import type { PeerGptOptions, PeerGptResult } from './gpt-common.js';

export type PeerName = 'tfjs' | 'jax';

/** How long to time a matmul: `reps` batches of back-to-back matmuls, each batch sized to last about `minMs`. */
export interface PeerMatmulOptions {
  /** Target duration of one timed batch, in ms (a batch is never less than one matmul). Default 200. */
  minMs?: number;
  /** Timed batches; the median is reported. Default 5. */
  reps?: number;
}

/** Milliseconds per n x n matmul over the timed batches, and the throughput at the median. */
export interface PeerMatmulResult {
  msMedian: number;
  msMin: number;
  msMax: number;
  /** 2 n^3 / msMedian. */
  gflops: number;
  /** Matmuls per timed batch (the calibrated k). */
  perBatch: number;
}

/** An MLP training step: dense layers with ReLU between them, softmax cross-entropy, then the optimizer update. */
export interface PeerMlpOptions {
  /** Widths from input to classes, e.g. [784, 256, 128, 10]. */
  layers: number[];
  batch: number;
  optimizer: 'adam' | 'sgd';
  /** Timed steps (after the warm-up). */
  steps: number;
  /** Untimed steps first (at least 1: the first step compiles everything). */
  warmup: number;
  /** Learning rate; default 1e-3 for Adam (betas 0.9, 0.999, eps 1e-8), 0.05 for SGD. */
  lr?: number;
  /** Seed of the initial weights, the inputs and the labels. Default 1. */
  seed?: number;
  /** Wait for the GPU every this many timed steps (Descent's benchmark flushes every 50). Default 50. */
  syncEvery?: number;
}

export interface PeerMlpResult {
  msPerStep: number;
  samplesPerSecond: number;
  /** Loss of the very first step (before any update). */
  lossFirst: number;
  /** Loss of the last step, on the same batch as the first: below lossFirst when the model trains. */
  lossLast: number;
}

/** One pass of a convolution layer, timed like a matmul (back-to-back calls, one wait at the end). */
export interface PeerConvOptions extends PeerMatmulOptions {
  layer: ConvLayerSpec;
  pass: ConvPass;
}

/** LeNet-5's training step (see cnnProblem in common.ts); the MLP's options but the layers. */
export type PeerCnnOptions = Omit<PeerMlpOptions, 'layers'>;

/** A peer library loaded on WebGPU, ready to time. */
export interface Peer {
  name: PeerName;
  /** The library's version, e.g. '4.22.0'. */
  version: string;
  /** The adapter its device runs on (vendor / architecture / device / driver), or 'unknown adapter'. */
  adapter: string;
  /** Square n x n f32 C = A . B on WebGPU; random inputs made once, warm-up first. */
  matmul(n: number, options?: PeerMatmulOptions): Promise<PeerMatmulResult>;
  /** Steady-state time of a full training step on seeded random data and labels. */
  mlpTrainStep(options: PeerMlpOptions): Promise<PeerMlpResult>;
  /** A conv2d pass (forward, dx, or dw + db) with the library's own ops; `gflops` counts convFlops(layer). */
  conv(options: PeerConvOptions): Promise<PeerMatmulResult>;
  /** Steady-state time of LeNet-5's training step on seeded random images and labels. */
  cnnTrainStep(options: PeerCnnOptions): Promise<PeerMlpResult>;
  /** Steady-state time of the gpt suite's GPT training step (gpt-common.ts), Descent's initial parameters. */
  gptTrainStep(options: PeerGptOptions): Promise<PeerGptResult>;
  /** Free what the peer holds on the GPU; the peer cannot be used afterwards. */
  dispose(): void;
}

/** A peer that could not be loaded, and why. */
export interface PeerLoadFailure {
  name: PeerName;
  error: string;
}

export const isPeer = (p: Peer | PeerLoadFailure): p is Peer => !('error' in p);
