// Training throughput in steady state (after warm-up): ms per step and samples/s of whole training steps
// (batch upload, forward, loss, backward, telemetry, update), and the cold start of a fresh runtime.
import type { Runtime } from '../gpu/runtime.js';
import { createRuntime, type RuntimeOptions } from '../runtime.js';
import { dense } from '../nn/layers.js';
import { sequential } from '../nn/model.js';
import { lenet5 } from '../nn/zoo.js';
import { adam } from '../optim/adam.js';
import type { OptimizerDef } from '../optim/optimizer.js';
import { Network } from '../train/network.js';
import { Rng } from '../util/rng.js';
import { timeWork, type Timing } from './timing.js';

/** A training workload: layer widths from input to classes (an MLP's, or LeNet's input and classes), batch size, optimizer. */
export interface TrainWorkload {
  name: string;
  widths: number[];
  /** LeNet-5 on 28x28x1 images instead of an MLP of `widths` (the peers build the same model). */
  model?: 'lenet';
  batch: number;
  optimizer: () => OptimizerDef;
}

/** The workloads of the suite, shared with the peers' side of the benchmark. */
export const WORKLOADS: readonly TrainWorkload[] = [
  { name: 'MNIST MLP 784-256-128-10, batch 64, Adam', widths: [784, 256, 128, 10], batch: 64, optimizer: () => adam({ lr: 1e-3 }) },
  { name: 'deep narrow 20 x 64, batch 64, Adam', widths: [64, ...Array<number>(20).fill(64), 10], batch: 64, optimizer: () => adam({ lr: 1e-3 }) },
  { name: 'LeNet-5 28x28x1, batch 64, Adam', widths: [784, 10], model: 'lenet', batch: 64, optimizer: () => adam({ lr: 1e-3 }) },
];

/** The page's quick preset: LeNet-5 at batch 8 (a peer's LeNet step at batch 64 takes seconds on SwiftShader). */
export const QUICK_WORKLOADS: readonly TrainWorkload[] = WORKLOADS.map((w) =>
  w.model === 'lenet' ? { ...w, name: 'LeNet-5 28x28x1, batch 8, Adam', batch: 8 } : w,
);

export interface TrainBenchResult {
  workload: string;
  timing: Timing;
  samplesPerSecond: number;
  dispatchesPerStep: number;
  /** Most GPU bytes live at once while training. */
  peakBytes: number;
  /** Activation and gradient memory after lifetime sharing, and without it. */
  transientBytes: number;
  unsharedBytes: number;
  /** Loss of the first and last measured steps: the step really trains. */
  lossFirst: number;
  lossLast: number;
}

/** Seeded random batches: inputs in [0, 1), labels uniform over the classes. */
export function randomBatches(widths: number[], batch: number, count: number, seed = 1): { x: Float32Array; y: Float32Array }[] {
  const rng = new Rng(seed);
  const classes = widths[widths.length - 1]!;
  return Array.from({ length: count }, () => ({
    x: rng.floats(batch * widths[0]!, 0, 1),
    y: Float32Array.from({ length: batch }, () => rng.int(classes)),
  }));
}

function build(w: TrainWorkload) {
  if (w.model === 'lenet') return lenet5();
  const hidden = w.widths.slice(1, -1).map((h) => dense(h, { activation: 'relu' }));
  return sequential(w.widths[0]!, [...hidden, dense(w.widths[w.widths.length - 1]!)], { seed: 1 });
}

/** Steady-state training steps of a workload on random batches. */
export async function benchTraining(rt: Runtime, w: TrainWorkload): Promise<TrainBenchResult> {
  rt.buffers.resetPeak();
  const net = await Network.compile(rt, build(w), { loss: 'cross_entropy', optimizer: w.optimizer() });
  const plan = await net.plan(w.batch, true);
  // A fixed set of batches cycled through: memorising them makes the loss fall, which shows the steps train.
  const batches = randomBatches(w.widths, w.batch, 8);
  const losses: number[] = [];
  net.onStep((m) => losses.push(m.loss));
  let k = 0;
  const timing = await timeWork(
    () => {
      const b = batches[k++ % batches.length]!;
      return net.trainStep(plan, b.x, b.y);
    },
    () => net.flush(),
    { warmup: 10, targetMs: 400 },
  );
  const result: TrainBenchResult = {
    workload: w.name,
    timing,
    samplesPerSecond: (w.batch * 1000) / timing.median,
    dispatchesPerStep: plan.dispatchCount,
    peakBytes: rt.buffers.peakBytes,
    transientBytes: plan.transientBytes,
    unsharedBytes: plan.unsharedBytes,
    lossFirst: losses[0] ?? NaN,
    lossLast: losses[losses.length - 1] ?? NaN,
  };
  await net.destroy();
  return result;
}

/** Milliseconds from createRuntime to the first finished training step of a workload (shader compilation included). */
export async function benchColdStart(w: TrainWorkload, options: RuntimeOptions = {}): Promise<{ ms: number; firstStepLoss: number }> {
  const t0 = performance.now();
  const rt = await createRuntime(options);
  const net = await Network.compile(rt, build(w), { loss: 'cross_entropy', optimizer: w.optimizer() });
  const [b] = randomBatches(w.widths, w.batch, 1, 2);
  let loss = NaN;
  net.onStep((m) => (loss = m.loss));
  await net.trainStep(await net.plan(w.batch, true), b!.x, b!.y);
  await net.flush();
  const ms = performance.now() - t0;
  await net.destroy();
  rt.destroy();
  return { ms, firstStepLoss: loss };
}
