// Timing for benchmarks: GPU timestamps around a compute pass where the adapter offers them, otherwise the
// wall clock around back-to-back submits and one onSubmittedWorkDone; always after a warm-up, as the median
// and spread of several repetitions.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';

export interface Timing {
  /** Milliseconds per run. */
  median: number;
  min: number;
  max: number;
  repetitions: number;
  /** 'gpu-timestamps' or 'wall-clock'. */
  method: 'gpu-timestamps' | 'wall-clock';
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median, range and count of per-run times in milliseconds. */
export function summarise(samples: number[], method: Timing['method']): Timing {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), repetitions: samples.length, method };
}

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
  const runs = Math.max(1, Math.min(1000, Math.round(target / Math.max(0.01, performance.now() - t0))));
  const samples: number[] = [];
  if (rt.features.has('timestamp-query')) {
    const query = device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      for (let i = 0; i < reps; i++) {
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass({ timestampWrites: { querySet: query, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
        encodeRuns(pass, runs);
        pass.end();
        enc.resolveQuerySet(query, 0, 2, resolve, 0);
        enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
        device.queue.submit([enc.finish()]);
        await read.mapAsync(GPUMapMode.READ);
        const [a, b] = new BigUint64Array(read.getMappedRange());
        read.unmap();
        const ns = Number(b! - a!);
        // Some implementations quantise or zero timestamps; fall back to the clock if they say nothing.
        if (!(ns > 0)) break;
        samples.push(ns / 1e6 / runs);
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
