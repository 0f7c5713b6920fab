// Training throughput of an MLP: steps/s and samples/s of the compiled step, dispatches per step, peak GPU bytes.
import type { Runtime } from '../gpu/runtime.js';
import { dense } from '../nn/layers.js';
import { sequential } from '../nn/model.js';
import { sgd } from '../optim/sgd.js';
import { Network } from '../train/network.js';
import { ReferenceNetwork } from '../train/reference-trainer.js';
import type { Dataset } from '../data/dataset.js';
import { Rng } from '../util/rng.js';

export interface TrainBenchResult {
  architecture: string;
  batchSize: number;
  steps: number;
  stepsPerSecond: number;
  samplesPerSecond: number;
  dispatchesPerStep: number;
  peakBytes: number;
  transientBytes: number;
  unsharedBytes: number;
  /** The CPU reference trainer's steps/s on the same model and batches: the baseline. */
  referenceStepsPerSecond: number;
}

/** Train `hidden` layers on `data` (random batches of `batchSize`) for at least `minMs`, after a warm-up. */
export async function benchTraining(
  rt: Runtime,
  data: Dataset,
  options: { hidden?: number[]; batchSize?: number; minMs?: number; log?: (l: string) => void } = {},
): Promise<TrainBenchResult> {
  const hidden = options.hidden ?? [128];
  const B = options.batchSize ?? 64;
  const log = options.log ?? (() => {});
  rt.buffers.resetPeak();
  const model = sequential(data.inputDim, [...hidden.map((h) => dense(h, { activation: 'relu' })), dense(data.classes)], { seed: 1 });
  const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr: 0.05 }) });
  const plan = await net.plan(B, true);
  const rng = new Rng(1);
  const x = new Float32Array(B * data.inputDim);
  const y = new Float32Array(B);
  const fill = () => {
    for (let r = 0; r < B; r++) {
      const i = rng.int(data.n);
      x.set(data.x.subarray(i * data.inputDim, (i + 1) * data.inputDim), r * data.inputDim);
      y[r] = data.y[i]!;
    }
  };
  for (let s = 0; s < 20; s++) {
    fill();
    await net.trainStep(plan, x, y);
  }
  await net.flush();
  const minMs = options.minMs ?? 2000;
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < minMs) {
    for (let s = 0; s < 50; s++) {
      fill();
      await net.trainStep(plan, x, y);
    }
    steps += 50;
    await net.flush();
  }
  const seconds = (performance.now() - t0) / 1000;
  // Baseline in the same run: the CPU reference trainer (plain loops, float64 inside each op).
  const cpu = new ReferenceNetwork(model, 'cross_entropy', sgd({ lr: 0.05 }));
  const c0 = performance.now();
  let cpuSteps = 0;
  while (performance.now() - c0 < minMs / 2) {
    fill();
    cpu.step(x, y, B);
    cpuSteps++;
  }
  const referenceStepsPerSecond = cpuSteps / ((performance.now() - c0) / 1000);
  const architecture = [data.inputDim, ...hidden, data.classes].join('-');
  const r: TrainBenchResult = {
    architecture,
    batchSize: B,
    steps,
    stepsPerSecond: steps / seconds,
    samplesPerSecond: (steps * B) / seconds,
    dispatchesPerStep: plan.dispatchCount,
    peakBytes: rt.buffers.peakBytes,
    transientBytes: plan.transientBytes,
    unsharedBytes: plan.unsharedBytes,
    referenceStepsPerSecond,
  };
  log(
    `${architecture} batch ${B}: ${r.stepsPerSecond.toFixed(1)} steps/s, ${Math.round(r.samplesPerSecond)} samples/s, ` +
      `${r.dispatchesPerStep} dispatches/step, peak GPU memory ${(r.peakBytes / 2 ** 20).toFixed(2)} MiB ` +
      `(activations and gradients ${(r.transientBytes / 1024).toFixed(0)} KiB shared, ${(r.unsharedBytes / 1024).toFixed(0)} KiB unshared)`,
  );
  log(`  CPU reference trainer, same model and batches: ${referenceStepsPerSecond.toFixed(1)} steps/s (GPU ${(r.stepsPerSecond / referenceStepsPerSecond).toFixed(1)}x)`);
  await net.destroy();
  return r;
}
