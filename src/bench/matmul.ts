// Matmul throughput: every variant over sizes, and the tuned choice with transposes and the fused epilogue.
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { MATMUL_VARIANTS, autoMatmulChoice, prepareMatmul, type MatmulOptions } from '../kernels/matmul.js';
import { Rng } from '../util/rng.js';
import { timeDispatches, type Timing } from './timing.js';

export interface MatmulBenchRow {
  size: number;
  /** e.g. 'blocked', or 'auto (interleaved 16x16)'. */
  kernel: string;
  transA: boolean;
  transB: boolean;
  /** Fused bias + ReLU. */
  epilogue: boolean;
  gflops: number;
  timing: Timing;
}

async function timeOne(rt: Runtime, n: number, options: MatmulOptions, epilogue: boolean): Promise<Timing> {
  const rng = new Rng(n);
  const a = Tensor.from(rt, rng.floats(n * n), [n, n], 'A');
  const b = Tensor.from(rt, rng.floats(n * n), [n, n], 'B');
  const c = Tensor.zeros(rt, [n, n], 'C');
  const bias = epilogue ? Tensor.from(rt, rng.floats(n), [n], 'bias') : undefined;
  const d = await prepareMatmul(rt, bias ? { a, b, c, bias } : { a, b, c }, { ...options, activation: epilogue ? 'relu' : 'identity' });
  try {
    return await timeDispatches(rt, [d]);
  } finally {
    rt.release(d);
    for (const t of [a, b, c, bias]) t?.destroy();
  }
}

/** Square matmuls: each variant at each size, then the 'auto' choice with transposes and the epilogue. */
export async function benchMatmul(
  rt: Runtime,
  options: { sizes?: number[]; variantsUpTo?: number; log?: (row: MatmulBenchRow) => void } = {},
): Promise<MatmulBenchRow[]> {
  const sizes = options.sizes ?? [64, 128, 256, 512, 1024];
  // The naive kernel at 1024 takes seconds per run on a CPU adapter: every variant up to this size only.
  const variantsUpTo = options.variantsUpTo ?? 1024;
  const rows: MatmulBenchRow[] = [];
  const push = (row: MatmulBenchRow) => {
    rows.push(row);
    options.log?.(row);
  };
  const flops = (n: number, t: Timing) => (2 * n ** 3) / (t.median * 1e6);
  for (const n of sizes) {
    for (const variant of n <= variantsUpTo ? MATMUL_VARIANTS : []) {
      const t = await timeOne(rt, n, { variant }, false);
      push({ size: n, kernel: variant, transA: false, transB: false, epilogue: false, gflops: flops(n, t), timing: t });
    }
    for (const [transA, transB, epilogue] of [[false, false, false], [true, false, false], [false, true, false], [false, false, true]] as const) {
      const auto = autoMatmulChoice(rt, n, n, n, transA, transB);
      const label = `auto (${auto.variant} ${auto.workgroup.join('x')})`;
      const t = await timeOne(rt, n, { transA, transB }, epilogue);
      push({ size: n, kernel: label, transA, transB, epilogue, gflops: flops(n, t), timing: t });
    }
  }
  return rows;
}
