// The training loops: full-batch gradient descent, SGD (batch size 1) and mini-batch are one loop with
// different batch sizes; the last partial batch runs on a plan compiled for its own size.
import { DataError, OptionError } from '../core/errors.js';
import { checkDataset, type Dataset } from '../data/dataset.js';
import { checkDatasetObject, checkFloat32, checkTokenArray, describe, rateSchedule, tokenDataset, vocabOf, type TokenData } from './checks.js';
import type { Network, StepMetrics } from './network.js';
import { gather, train } from './fit-loop.js';
import { checkSnapshotEvery, TrainingSnapshot, type SnapshotEvery } from './snapshot.js';
import { checkMaxRecoveries, restoreSnapshot, type DeviceLostInfo, type RecoveredInfo } from './recover.js';

/** What one epoch of fit measured; `epoch` counts from 0. */
export interface EpochMetrics {
  epoch: number;
  /** Mean training loss over the epoch's examples, as measured during the steps. */
  loss: number;
  accuracy: number;
  steps: number;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
}

/** Options of fit: epochs, batch size, shuffling, callbacks, learning rate, cancellation. */
export interface FitOptions {
  epochs?: number;
  /** 1: stochastic gradient descent; the dataset size: full-batch gradient descent; between: mini-batch. Default 32. */
  batchSize?: number;
  /** Reshuffle the examples every epoch (seeded). Default true. */
  shuffle?: boolean;
  seed?: number;
  /** After each epoch, once its metrics have arrived. */
  onEpoch?: (m: EpochMetrics) => void | Promise<void>;
  /** For each step's metrics, as they arrive (every `metricsEvery` steps). */
  onStep?: (m: StepMetrics) => void;
  /**
   * Learning rate: a number for every step, or a function of the step (1-based) and epoch; default the
   * optimizer's. Each step's rate is checked (finite, >= 0, within f32) before that step is submitted.
   */
  learningRate?: number | ((step: number, epoch: number) => number);
  /** Stops the run at the next step boundary when aborted. */
  signal?: AbortSignal;
  /**
   * CPU snapshots of the trainable state, to go on after a lost GPU device: every `steps` steps or `seconds`
   * seconds (at the next metrics block boundary). Default { steps: 50, seconds: 10 }; false: no snapshots, and a
   * lost device ends the fit with DeviceError.
   */
  snapshotEvery?: SnapshotEvery | false;
  /** Device losses one fit recovers from (default 3); the next one rejects with DeviceLostError. */
  maxRecoveries?: number;
  /** The device was lost; training is about to go back to `info.snapshot` on a new device. */
  onDeviceLost?: (info: DeviceLostInfo) => void;
  /** Training goes on on a new device from the snapshot's step (its steps then run, and report, again). */
  onRecovered?: (info: RecoveredInfo) => void;
  /**
   * Go on from a snapshot (e.g. DeviceLostError.snapshot): it is loaded first, then the fit continues at its
   * epoch and batch with the same batches. Give the data, epochs, batchSize, shuffle and seed of the fit that made it.
   */
  resumeFrom?: TrainingSnapshot;
}

/** Every epoch's metrics, and whether the run was stopped early. */
export interface FitResult {
  epochs: EpochMetrics[];
  stopped: boolean;
  /** Lost devices the run recovered from. */
  recoveries: number;
}

/** Check batch options against the dataset; throws DataError naming the bad value. */
export function checkBatchSize(batchSize: number, n: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > n) {
    throw new DataError(`batch size must be an integer from 1 to the dataset size (${n}), got ${batchSize}`);
  }
}

/**
 * Check that a dataset fits the network: its width, its classes (or target width) and, for cross-entropy,
 * class labels. Throws DataError naming what is wrong.
 */
export function checkDataFor(net: Network, ds: Dataset, where = 'fit'): void {
  checkDatasetObject(ds, where);
  const g = net.model.graph;
  checkDataset(ds, net.loss === 'cross_entropy' ? { inputDim: g.inputDim, classes: g.outputDim } : { inputDim: g.inputDim, outputDim: g.outputDim });
  if (net.loss === 'cross_entropy' && ds.task !== 'classification') {
    throw new DataError(`dataset '${ds.name}' is a ${ds.task} set; cross-entropy needs class labels`);
  }
}

/** The rows to train a network on: a sequence model's TokenData converted (and checked), any other data checked. */
export function dataFor(net: Network, ds: Dataset | TokenData, where: string): Dataset {
  if (net.model.graph.tokens !== null) return tokenDataset(net.model.graph, ds, where);
  checkDataFor(net, ds as Dataset, where);
  return ds as Dataset;
}

export { gather } from './fit-loop.js';

/** Train for `epochs` passes over the dataset. */
export async function fit(
  net: Network,
  data: Dataset | TokenData,
  options: FitOptions = {},
  stopFlag: { stop: boolean } = { stop: false },
): Promise<FitResult> {
  net.guard.checkUsable();
  if (typeof options !== 'object' || options === null) throw new OptionError(`fit: options must be an object, got ${describe(options)}`);
  const ds = dataFor(net, data, 'fit');
  const schedule = rateSchedule(options.learningRate, 'fit');
  const epochs = options.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) throw new DataError(`epochs must be a positive integer, got ${epochs}`);
  const B = options.batchSize ?? Math.min(32, ds.n);
  checkBatchSize(B, ds.n);
  const every = checkSnapshotEvery(options.snapshotEvery);
  const maxRecoveries = checkMaxRecoveries(options.maxRecoveries);
  const run = { epochs, B, schedule, every, maxRecoveries, shuffle: options.shuffle ?? true, seed: options.seed ?? 1 };
  if (options.resumeFrom !== undefined) {
    checkResume(options.resumeFrom, run, ds.n);
    restoreSnapshot(net, options.resumeFrom);
  }
  return net.hold('fit()', () => train(net, ds, options, stopFlag, run));
}

function checkResume(snap: unknown, run: { epochs: number; B: number; shuffle: boolean; seed: number }, n: number): void {
  if (!(snap instanceof TrainingSnapshot)) throw new OptionError(`fit: resumeFrom must be a snapshot (DeviceLostError.snapshot), got ${describe(snap)}`);
  const p = snap.position;
  const same = { batchSize: run.B, shuffle: run.shuffle, seed: run.seed };
  for (const [k, v] of Object.entries(same)) {
    const was = p[k as keyof typeof same];
    if (was !== v) throw new OptionError(`fit: resumeFrom was made by a fit with ${k} ${was}; this one has ${v}: give the same`);
  }
  if (p.epoch >= run.epochs || p.from > n) {
    throw new OptionError(`fit: resumeFrom stands at epoch ${p.epoch}, row ${p.from}; this fit has ${run.epochs} epochs of ${n} rows`);
  }
}

/** Mean loss and accuracy over a dataset, with BatchNorm in evaluation mode; parameters are not changed. */
export async function evaluate(net: Network, data: Dataset | TokenData, options: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number }> {
  net.guard.checkUsable();
  const ds = dataFor(net, data, 'evaluate');
  // A sequence model has a loss per position: T rows per example.
  const perRow = net.model.graph.tokens ?? 1;
  const order = Uint32Array.from({ length: ds.n }, (_, i) => i);
  let loss = 0;
  let correct = 0;
  await forEachBatch(net, ds.n, options.batchSize, async (plan, from, count) => {
    const t = ds.task === 'classification' ? 1 : ds.outputDim;
    const x = new Float32Array(count * ds.inputDim);
    const y = new Float32Array(count * t);
    gather(ds, order, from, count, x, y);
    await plan.step(x, y, { step: net.steps, lr: 0 }, net.steps);
    const [l, c] = await Promise.all([plan.loss.read(), plan.correct.read()]);
    for (let i = 0; i < count * perRow; i++) {
      loss += l[i]!;
      correct += c[i]!;
    }
  });
  return { loss: loss / (ds.n * perRow), accuracy: correct / (ds.n * perRow) };
}

/** The model's outputs (logits for classification) for `n` rows of x, with BatchNorm in evaluation mode. */
export async function predict(net: Network, x: Float32Array | Uint32Array | Int32Array, options: { batchSize?: number } = {}): Promise<Float32Array> {
  net.guard.checkUsable();
  const d = net.model.inputDim;
  if (net.model.graph.tokens !== null) {
    checkTokenArray(x, 'predict', 'x', d, vocabOf(net.model.graph));
  } else {
    checkFloat32(x, 'predict: x');
    if (x.length === 0 || x.length % d !== 0) {
      throw new DataError(`predict: ${x.length} values is not a whole number of rows of width ${d}`);
    }
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i]!)) throw new DataError(`predict: row ${Math.floor(i / d)} column ${i % d} is ${x[i]}`);
    }
  }
  const n = x.length / d;
  const out = new Float32Array(n * net.model.outputDim);
  await forEachBatch(net, n, options.batchSize, async (plan, from, count) => {
    await plan.step(x.subarray(from * d, (from + count) * d), null, { step: net.steps, lr: 0 }, net.steps);
    const y = await plan.output.read();
    out.set(y, from * net.model.outputDim);
  });
  return out;
}

async function forEachBatch(
  net: Network,
  n: number,
  batchSize: number | undefined,
  body: (plan: Awaited<ReturnType<Network['plan']>>, from: number, count: number) => Promise<void>,
): Promise<void> {
  const B = Math.min(batchSize ?? 1024, n);
  checkBatchSize(B, n);
  // One evaluation at a time: they share each batch size's plan buffers.
  await net.guard.inTurn(async () => {
    for (let from = 0; from < n; from += B) {
      const count = Math.min(B, n - from);
      await body(await net.plan(count, false), from, count);
    }
  });
}
