// Matmul throughput of every variant, runnable in Node and in the browser.
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { MATMUL_VARIANTS, pickMatmulVariant, prepareMatmul, type MatmulVariant } from '../kernels/matmul.js';
import { Rng } from '../util/rng.js';

export interface MatmulBenchRow {
  size: number;
  variant: MatmulVariant;
  /** Mean milliseconds per dispatch, wall clock over back-to-back submits. */
  ms: number;
  gflops: number;
  /** Throughput relative to the naive variant at the same size, measured in the same run. */
  vsNaive: number;
}

/** Time C = A . B for square sizes; each variant runs until `minMs` have passed (after a warm-up). */
export async function benchMatmul(
  rt: Runtime,
  sizes: readonly number[] = [256, 512],
  options: { minMs?: number; log?: (line: string) => void } = {},
): Promise<MatmulBenchRow[]> {
  const minMs = options.minMs ?? 400;
  const log = options.log ?? (() => {});
  const rows: MatmulBenchRow[] = [];
  for (const n of sizes) {
    const rng = new Rng(n);
    const a = Tensor.from(rt, rng.floats(n * n), [n, n], 'A');
    const b = Tensor.from(rt, rng.floats(n * n), [n, n], 'B');
    const c = Tensor.zeros(rt, [n, n], 'C');
    let naive = 0;
    for (const variant of MATMUL_VARIANTS) {
      const d = await prepareMatmul(rt, { a, b, c }, { variant });
      rt.run([d]);
      await rt.sync(); // warm-up: pipeline creation and first-use costs stay out of the timing
      let reps = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < minMs) {
        const batch = Math.max(1, reps);
        for (let i = 0; i < batch; i++) rt.run([d]);
        await rt.sync();
        reps += batch;
      }
      const ms = (performance.now() - t0) / reps;
      const gflops = (2 * n * n * n) / (ms * 1e6);
      if (variant === 'naive') naive = gflops;
      const row = { size: n, variant, ms, gflops, vsNaive: gflops / naive };
      rows.push(row);
      log(
        `${String(n).padStart(5)}  ${variant.padEnd(8)} ${ms.toFixed(3).padStart(10)} ms ${gflops.toFixed(2).padStart(9)} GFLOP/s` +
          `  ${row.vsNaive.toFixed(2)}x naive${variant === pickMatmulVariant(rt) ? '  (auto)' : ''}`,
      );
      rt.release(d);
    }
    for (const t of [a, b, c]) t.destroy();
  }
  return rows;
}
