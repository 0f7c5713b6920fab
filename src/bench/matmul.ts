// Matmul throughput: every variant over sizes, and the tuned choice with transposes and the fused epilogue; the
// plain tuned choice is also timed by the peers' protocol, so that it can be compared with them on one clock.
// On a GPU the sizes go on to 2048 and 4096, where tiles as large as gemm's have enough work to fill the device.
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { MATMUL_VARIANTS, autoMatmulChoice, defaultWorkgroup, prepareMatmul, type MatmulOptions } from '../kernels/matmul.js';
import { Rng } from '../util/rng.js';
import { timeBackToBack, timeDispatches, type Timing } from './timing.js';

export interface MatmulBenchRow {
  size: number;
  /** e.g. 'blocked', or 'auto (interleaved 16x16)'. */
  kernel: string;
  transA: boolean;
  transB: boolean;
  /** Fused bias + ReLU. */
  epilogue: boolean;
  /** The kernel that ran: the variant and its workgroup (a variant row's default, or auto's tuned choice). */
  choice?: { variant: string; workgroup: [number, number] };
  /** From `timing`: GPU timestamps (or the wall clock) around one pass of many dispatches. */
  gflops: number;
  timing: Timing;
  /**
   * The plain 'auto' row only: the same product timed as the peers are, by the wall clock around back-to-back
   * submits (one matmul each) and one wait at the end; the figure to compare with theirs.
   */
  wallClock?: { gflops: number; timing: Timing; perBatch: number };
}

/** How long the peers' protocol runs (timing.ts's timeBackToBack; the defaults are the peers'). */
export interface WallClockOptions {
  minMs?: number;
  reps?: number;
}

const flops = (n: number, ms: number) => (2 * n ** 3) / (ms * 1e6);

async function timeOne(
  rt: Runtime,
  n: number,
  options: MatmulOptions,
  epilogue: boolean,
  wallClock: WallClockOptions | null,
): Promise<Pick<MatmulBenchRow, 'gflops' | 'timing' | 'wallClock'>> {
  const rng = new Rng(n);
  const a = Tensor.from(rt, rng.floats(n * n), [n, n], 'A');
  const b = Tensor.from(rt, rng.floats(n * n), [n, n], 'B');
  const c = Tensor.zeros(rt, [n, n], 'C');
  const bias = epilogue ? Tensor.from(rt, rng.floats(n), [n], 'bias') : undefined;
  const d = await prepareMatmul(rt, bias ? { a, b, c, bias } : { a, b, c }, { ...options, activation: epilogue ? 'relu' : 'identity' });
  try {
    const timing = await timeDispatches(rt, [d]);
    const row: Pick<MatmulBenchRow, 'gflops' | 'timing' | 'wallClock'> = { gflops: flops(n, timing.median), timing };
    if (wallClock) {
      const w = await timeBackToBack(async (k) => {
        for (let i = 0; i < k; i++) rt.run([d]);
        await rt.sync();
      }, wallClock);
      row.wallClock = { gflops: flops(n, w.timing.median), ...w };
    }
    return row;
  } finally {
    rt.release(d);
    for (const t of [a, b, c, bias]) t?.destroy();
  }
}

/** Sizes the suite adds on a GPU (not on a CPU adapter, where one 4096 product takes minutes). */
export const GPU_MATMUL_SIZES: readonly number[] = [2048, 4096];

/** What benchMatmul measures on this adapter: its sizes (sorted, the GPU sizes added) and up to which size every variant runs. */
export function matmulBenchPlan(rt: Pick<Runtime, 'isSoftware'>, options: { sizes?: number[]; gpuSizes?: readonly number[]; variantsUpTo?: number } = {}) {
  const extra = rt.isSoftware ? [] : (options.gpuSizes ?? GPU_MATMUL_SIZES);
  const sizes = [...new Set([...(options.sizes ?? [64, 128, 256, 512, 1024]), ...extra])].sort((a, b) => a - b);
  // The naive kernel at 1024 takes seconds per run on a CPU adapter: there every variant up to this size only.
  return { sizes, variantsUpTo: options.variantsUpTo ?? (rt.isSoftware ? 1024 : Infinity) };
}

/** Square matmuls: each variant at each size, then the 'auto' choice with transposes and the epilogue. */
export async function benchMatmul(
  rt: Runtime,
  options: {
    sizes?: number[];
    /** Sizes added on a GPU (default GPU_MATMUL_SIZES; [] for none). */
    gpuSizes?: readonly number[];
    variantsUpTo?: number;
    wallClock?: WallClockOptions;
    log?: (row: MatmulBenchRow) => void;
  } = {},
): Promise<MatmulBenchRow[]> {
  const { sizes, variantsUpTo } = matmulBenchPlan(rt, options);
  const rows: MatmulBenchRow[] = [];
  const push = (row: MatmulBenchRow) => {
    rows.push(row);
    options.log?.(row);
  };
  for (const n of sizes) {
    for (const variant of n <= variantsUpTo ? MATMUL_VARIANTS : []) {
      const choice = { variant, workgroup: defaultWorkgroup(rt, variant) };
      push({ size: n, kernel: variant, transA: false, transB: false, epilogue: false, choice, ...(await timeOne(rt, n, { variant }, false, null)) });
    }
    for (const [transA, transB, epilogue] of [
      [false, false, false],
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ] as const) {
      const auto = autoMatmulChoice(rt, n, n, n, transA, transB);
      const plain = !transA && !transB && !epilogue;
      const t = await timeOne(rt, n, { transA, transB }, epilogue, plain ? (options.wallClock ?? {}) : null);
      push({
        size: n,
        kernel: `auto (${auto.variant} ${auto.workgroup.join('x')})`,
        transA,
        transB,
        epilogue,
        choice: { variant: auto.variant, workgroup: auto.workgroup },
        ...t,
      });
    }
  }
  return rows;
}
