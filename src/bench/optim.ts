// Optimizer update bandwidth: one update over an N-parameter arena, in GB/s of bytes read and written,
// next to a plain buffer copy moving the same number of bytes on the same adapter, in the same run.
import type { Runtime } from '../gpu/runtime.js';
import { ArenaLayout } from '../nn/arena.js';
import type { OptimizerDef } from '../optim/optimizer.js';
import { UpdateRunner } from '../optim/runner.js';
import { Rng } from '../util/rng.js';

export interface UpdateBenchRow {
  optimizer: string;
  parameters: number;
  /** Bytes one update reads and writes: gradient, parameters (read + write), each state slot (read + write). */
  bytes: number;
  ms: number;
  gbps: number;
  copyGbps: number;
  /** Update bandwidth over copy bandwidth. */
  ratio: number;
}

async function timeIt(rt: Runtime, minMs: number, run: () => void): Promise<number> {
  run();
  await rt.sync();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (let i = 0; i < 5; i++) run();
    await rt.sync();
    reps += 5;
  }
  return (performance.now() - t0) / reps;
}

/** Time `optimizers` over an arena of `parameters` floats, and a copy of the same bytes. */
export async function benchUpdates(
  rt: Runtime,
  optimizers: OptimizerDef[],
  options: { parameters?: number; minMs?: number; log?: (l: string) => void } = {},
): Promise<UpdateBenchRow[]> {
  const n = options.parameters ?? 10_000_000;
  const log = options.log ?? (() => {});
  const minMs = options.minMs ?? 1000;
  const layout = new ArenaLayout([{ name: 'w', shape: [n], role: 'weight' }]);
  const rng = new Rng(1);
  const params = rng.floats(layout.length, -1, 1);
  const grad = rng.floats(layout.length, -1, 1);
  const rows: UpdateBenchRow[] = [];
  for (const def of optimizers) {
    const runner = await UpdateRunner.create(rt, layout, def, params);
    runner.setGradient(grad);
    const bytes = n * 4 * (3 + 2 * def.state.length);
    const ms = await timeIt(rt, minMs, () => runner.step());
    runner.destroy();
    // The copy moves the same bytes: it reads half of them and writes the other half.
    const half = Math.ceil(bytes / 2 / 4) * 4;
    const src = rt.buffers.create(half, { label: 'copy-src' });
    const dst = rt.buffers.create(half, { label: 'copy-dst' });
    const copyMs = await timeIt(rt, minMs, () => {
      const enc = rt.device.createCommandEncoder();
      enc.copyBufferToBuffer(src, 0, dst, 0, half);
      rt.device.queue.submit([enc.finish()]);
    });
    rt.buffers.free(src);
    rt.buffers.free(dst);
    const gbps = bytes / (ms * 1e6);
    const copyGbps = (2 * half) / (copyMs * 1e6);
    const row = { optimizer: def.name, parameters: n, bytes, ms, gbps, copyGbps, ratio: gbps / copyGbps };
    rows.push(row);
    log(
      `${def.name.padEnd(18)} ${(bytes / 2 ** 20).toFixed(0).padStart(5)} MiB moved  ${ms.toFixed(2).padStart(8)} ms  ` +
        `${gbps.toFixed(2).padStart(7)} GB/s   copy of the same bytes ${copyGbps.toFixed(2).padStart(7)} GB/s   ratio ${row.ratio.toFixed(2)}`,
    );
  }
  return rows;
}
