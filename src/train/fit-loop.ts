// fit's loop: one pass over (epoch, batch) positions with CPU snapshots on the side; a lost device sends it back
// to the last snapshot's position on a new device, with the same batches.
import type { Dataset } from '../data/dataset.js';
import type { StepPlan } from '../scheduler/plan.js';
import { Rng } from '../util/rng.js';
import { EpochTally } from './epoch-tally.js';
import type { EpochMetrics, FitOptions, FitResult } from './fit.js';
import type { Network } from './network.js';
import { DeviceLostError, isDeviceLoss, restoreOnNewDevice } from './recover.js';
import { Snapshotter } from './snapshot.js';

/** Copy rows `order[from..from+count)` of the dataset into the batch arrays (no allocation). */
export function gather(ds: Dataset, order: Uint32Array, from: number, count: number, x: Float32Array, y: Float32Array): void {
  const d = ds.inputDim;
  const t = ds.task === 'classification' ? 1 : ds.outputDim;
  for (let r = 0; r < count; r++) {
    const i = order[from + r]!;
    x.set(ds.x.subarray(i * d, (i + 1) * d), r * d);
    y.set(ds.y.subarray(i * t, (i + 1) * t), r * t);
  }
}

/** Shuffle `order` in place with `rng` (Fisher-Yates), as every epoch does. */
function shuffleOrder(order: Uint32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
}

/** A fit's checked settings. */
export interface Run {
  epochs: number;
  B: number;
  schedule: ((step: number, epoch: number) => number) | null;
  every: { steps: number; seconds: number } | null;
  maxRecoveries: number;
  shuffle: boolean;
  seed: number;
}

// One loop over (epoch, from): a recovery sets both back to a snapshot's and goes on, with the same batches.
/** Run a checked fit while holding the network. */
export async function train(net: Network, ds: Dataset, options: FitOptions, stopFlag: { stop: boolean }, run: Run): Promise<FitResult> {
  const { epochs, B, schedule, shuffle, seed } = run;
  stopFlag.stop = false;
  const order = Uint32Array.from({ length: ds.n }, (_, i) => i);
  let rng = new Rng(seed);
  const tail = ds.n % B;
  const t = ds.task === 'classification' ? 1 : ds.outputDim;
  const bufs = new Map([[B, { x: new Float32Array(B * ds.inputDim), y: new Float32Array(B * t) }]]);
  if (tail) bufs.set(tail, { x: new Float32Array(tail * ds.inputDim), y: new Float32Array(tail * t) });
  // The whole set in a fixed order fits one batch: upload it once per plan, then every step reuses the buffers.
  const constantBatch = B === ds.n && !shuffle;
  const tally = new EpochTally(Math.ceil(ds.n / B));
  const off = net.onStep((m) => {
    tally.add(m);
    options.onStep?.(m);
  });
  const start = options.resumeFrom?.position;
  let epoch = start?.epoch ?? 0;
  let from = start?.from ?? 0;
  // The epoch's order is that of epoch + 1 shuffles from the seed, so a position needs no copy of it.
  const seek = (): void => {
    order.forEach((_, i) => (order[i] = i));
    rng = new Rng(seed);
    for (let e = 0; shuffle && e <= epoch; e++) shuffleOrder(order, rng);
  };
  let fresh = start === undefined;
  if (!fresh) {
    seek();
    tally.start(net.steps - Math.ceil(from / B));
  }
  let t0 = performance.now();
  let plans: { full: StepPlan; last: StepPlan | null } | null = null;
  let uploadedTo: StepPlan | null = null;
  const snaps = run.every ? new Snapshotter(snapshotHost(net), run.every) : null;
  const position = () => ({ epoch, from, batchSize: B, shuffle, seed });
  const result: FitResult = { epochs: [], stopped: false, recoveries: 0 };
  net.resume();
  try {
    await snaps?.take(position());
    while (epoch < epochs) {
      try {
        if (fresh) {
          t0 = performance.now();
          if (shuffle) shuffleOrder(order, rng);
          tally.start(net.steps);
          fresh = false;
        }
        plans ??= { full: await net.plan(B, true), last: tail ? await net.plan(tail, true) : null };
        if (from < ds.n && !result.stopped) {
          if (stopFlag.stop || options.signal?.aborted) {
            result.stopped = true;
            continue;
          }
          const count = Math.min(B, ds.n - from);
          const plan = count === B ? plans.full : plans.last!;
          const buf = bufs.get(count)!;
          const upload = !constantBatch || uploadedTo !== plan;
          if (upload) gather(ds, order, from, count, buf.x, buf.y);
          const lr = schedule ? schedule(net.steps + 1, epoch) : net.optimizer.lr;
          await net.trainStep(plan, upload ? buf.x : null, upload ? buf.y : null, lr);
          uploadedTo = plan;
          from += count;
          // At the end of a metrics block: the reads before it then reach the CPU before the snapshot does.
          const due = snaps && net.steps % net.metricsEvery === 0 ? snaps.due(net.steps) : null;
          if (due === 'steps') await snaps!.idle();
          if (due) void snaps!.take(position());
          continue;
        }
        await net.flush();
        if (net.failure) throw net.failure;
        const seconds = (performance.now() - t0) / 1000;
        const { loss, accuracy, samples } = tally.totals();
        const m: EpochMetrics = { epoch, loss, accuracy, steps: net.steps - tally.first, samples, seconds, samplesPerSecond: samples / seconds };
        result.epochs.push(m);
        await options.onEpoch?.(m);
        if (result.stopped) break;
        epoch++;
        from = 0;
        fresh = true;
      } catch (e) {
        const snap = snaps?.committed;
        if (!snap || !(await isDeviceLoss(net, e))) throw e;
        // The loss as the device reported it: a failed read can come first, with a vaguer message.
        const reason = (await net.rt.whenLost).message;
        if (result.recoveries >= run.maxRecoveries) {
          throw new DeviceLostError(
            `${reason}; this fit already recovered ${result.recoveries} time(s) (maxRecoveries ${run.maxRecoveries}). ` +
              `The last snapshot (step ${snap.steps}) is error.snapshot`,
            snap,
          );
        }
        const lostAt = performance.now();
        const repeatedSteps = net.steps - snap.steps;
        options.onDeviceLost?.({ reason, step: net.steps, snapshot: snap });
        await restoreOnNewDevice(net, snap, reason);
        snaps!.restarted(snap.steps);
        result.recoveries++;
        const was = epoch;
        ({ epoch, from } = snap.position);
        seek();
        if (from >= ds.n && result.epochs.some((m) => m.epoch === epoch)) {
          // Taken after an epoch's last step, which has reported since: go on with the next epoch.
          epoch++;
          from = 0;
          fresh = true;
        } else if (epoch !== was) {
          // From before the end of an epoch that has reported: it runs, and reports, again (from the snapshot's batch).
          result.epochs = result.epochs.filter((m) => m.epoch < epoch);
          tally.start(net.steps - Math.ceil(from / B));
        }
        plans = null;
        uploadedTo = null;
        net.resume();
        options.onRecovered?.({ recoveries: result.recoveries, repeatedSteps, snapshot: snap, seconds: (performance.now() - lostAt) / 1000 });
      }
    }
  } finally {
    off();
    snaps?.destroy();
  }
  return result;
}

function snapshotHost(net: Network) {
  return {
    device: () => net.rt.device,
    createStaging: (bytes: number) => net.rt.buffers.create(bytes, { usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'snapshot-staging' }),
    freeStaging: (b: GPUBuffer) => net.rt.buffers.free(b),
    arenas: () => net.arenas(),
    counters: () => ({ steps: net.steps, optimizerSteps: net.optimizerSteps, optimizer: net.optimizer.name }),
  };
}
