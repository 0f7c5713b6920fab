// Timing for benchmarks, always after a warm-up, as the median and spread of several repetitions. Kernels:
// GPU timestamps around one compute pass of many dispatches where the adapter offers them, otherwise the wall
// clock around that pass and one onSubmittedWorkDone. Against the peer libraries: the wall clock around
// back-to-back calls, each its own submit, and one wait at the end (timeBackToBack), the same for every library.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { median } from '../util/stats.js';

/**
 * How a figure was timed: 'gpu-timestamps' or 'wall-clock' around one pass of many dispatches, or
 * 'wall-clock-submits' around back-to-back submits with one wait at the end (the peers' protocol).
 */
export type TimingMethod = 'gpu-timestamps' | 'wall-clock' | 'wall-clock-submits';

export interface Timing {
  /** Milliseconds per run. */
  median: number;
  min: number;
  max: number;
  repetitions: number;
  method: TimingMethod;
}

/** What each timing method means, for tables and the benchmark page. */
export const TIMING_METHODS: Record<TimingMethod, string> = {
  'gpu-timestamps': 'GPU timestamps around one pass of many dispatches',
  'wall-clock': 'wall clock around one pass of many dispatches',
  'wall-clock-submits': 'wall clock around back-to-back submits, one wait at the end',
};

/** Median, range and count of per-run times in milliseconds. */
export function summarise(samples: number[], method: TimingMethod): Timing {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), repetitions: samples.length, method };
}

/** The most runs one timed pass encodes. */
const MAX_RUNS = 20_000;

/**
 * Time one run of `dispatches` (encoded in order in one pass). Each repetition encodes as many runs as
 * take about `targetMs`, so per-submit overhead is amortised, and divides.
 */
export async function timeDispatches(rt: Runtime, dispatches: readonly Dispatch[], options: { repetitions?: number; targetMs?: number } = {}): Promise<Timing> {
  const reps = options.repetitions ?? 5;
  const target = options.targetMs ?? 60;
  const device = rt.device;
  const encodeRuns = (pass: GPUComputePassEncoder, runs: number) => {
    for (let r = 0; r < runs; r++) for (const d of dispatches) d.encode(pass);
  };
  // Warm-up, and a first estimate of one run's time to size the batches.
  rt.run(dispatches);
  await rt.sync();
  const t0 = performance.now();
  rt.run(dispatches);
  await rt.sync();
  let runs = Math.max(1, Math.min(1000, Math.round(target / Math.max(0.01, performance.now() - t0))));
  const samples: number[] = [];
  if (rt.features.has('timestamp-query')) {
    const query = device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const timedPass = async (n: number): Promise<number> => {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass({ timestampWrites: { querySet: query, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
      encodeRuns(pass, n);
      pass.end();
      enc.resolveQuerySet(query, 0, 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
      device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const [a, b] = new BigUint64Array(read.getMappedRange());
      read.unmap();
      return Number(b! - a!) / 1e6;
    };
    try {
      // The first estimate came from the wall clock, submit and wait included: for a small kernel it is mostly
      // overhead, and its passes would last a fraction of the target, short enough for scheduling noise to
      // dominate. Resize the batch from what the GPU itself measured.
      const passMs = await timedPass(runs);
      if (passMs > 0 && passMs < target / 2) runs = Math.min(MAX_RUNS, Math.ceil((runs * target) / passMs));
      for (let i = 0; i < reps; i++) {
        const ms = await timedPass(runs);
        // Some implementations quantise or zero timestamps; fall back to the clock if they say nothing.
        if (!(ms > 0)) break;
        samples.push(ms / runs);
      }
    } finally {
      query.destroy();
      resolve.destroy();
      read.destroy();
    }
    if (samples.length === reps) return summarise(samples, 'gpu-timestamps');
    samples.length = 0;
  }
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encodeRuns(pass, runs);
    pass.end();
    device.queue.submit([enc.finish()]);
    await rt.sync();
    samples.push((performance.now() - s) / runs);
  }
  return summarise(samples, 'wall-clock');
}

/** Time an arbitrary piece of work (e.g. a training step with its own submits), wall clock, per call. */
export async function timeWork(
  work: () => void | Promise<void>,
  settle: () => Promise<void>,
  options: { repetitions?: number; targetMs?: number; warmup?: number } = {},
): Promise<Timing> {
  const reps = options.repetitions ?? 5;
  const target = options.targetMs ?? 300;
  for (let i = 0; i < (options.warmup ?? 3); i++) await work();
  await settle();
  const t0 = performance.now();
  await work();
  await settle();
  const calls = Math.max(1, Math.min(5000, Math.round(target / Math.max(0.01, performance.now() - t0))));
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    for (let c = 0; c < calls; c++) await work();
    await settle();
    samples.push((performance.now() - s) / calls);
  }
  return summarise(samples, 'wall-clock');
}

const MAX_BATCH = 10_000;

/**
 * The peers' protocol, for any library: time `runBatch(k)`, which must issue k calls back to back (each its
 * own submit) and resolve once the GPU has finished them. One untimed call (compilation, uploads), calls that
 * grow k until a batch lasts about `minMs` (default 200), then `reps` (default 5) timed batches; per-call
 * milliseconds are the batch time over k, so no side pays a readback per call.
 */
export async function timeBackToBack(
  runBatch: (k: number) => Promise<void>,
  options: { minMs?: number; reps?: number } = {},
): Promise<{ timing: Timing; perBatch: number }> {
  const minMs = options.minMs ?? 200;
  const reps = Math.max(1, options.reps ?? 5);
  const time = async (k: number) => {
    const t0 = performance.now();
    await runBatch(k);
    return performance.now() - t0;
  };
  await time(1);
  // Grow k until a batch lasts at least half of minMs (a single wait costs far more than a small call).
  let k = 1;
  for (let t = await time(1); t < minMs / 2 && k < MAX_BATCH; t = await time(k)) {
    k = Math.min(MAX_BATCH, Math.ceil(k * Math.min(16, minMs / Math.max(t, 1e-3))));
  }
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) ms.push((await time(k)) / k);
  return { timing: summarise(ms, 'wall-clock-submits'), perBatch: k };
}
