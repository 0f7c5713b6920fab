// Convolution throughput: conv2d forward, dx and dw + db of CNN layers, each timed twice: by GPU timestamps (the
// kernel's own figure) and by the peers' protocol (wall clock around back-to-back submits), the figure to compare;
// beside them, by timestamps, the variants of CONV_BENCH_VARIANTS on the same tensors.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { conv2dBackwardScratch, conv2dShape, prepareConv2d, prepareConv2dBackward, resolveConvVariant, type ConvVariant } from '../kernels/conv2d.js';
import { Rng } from '../util/rng.js';
import { peerCellText, type PeerComparison } from './compare.js';
import type { WallClockOptions } from './matmul.js';
import { TIMING_METHODS, timeBackToBack, timeDispatches, type Timing } from './timing.js';

/** One convolution layer: NHWC input [batch, h, w, c], oc square k x k filters, stride 1. */
export interface ConvLayerSpec {
  name: string;
  batch: number;
  h: number;
  w: number;
  c: number;
  oc: number;
  k: number;
  padding: 'same' | 'valid';
}

/** LeNet's two convolutions and a ResNet-style 3x3 layer. */
export const CONV_LAYERS: readonly ConvLayerSpec[] = [
  { name: 'LeNet conv1 28x28x1 -> 6, 5x5 same, batch 64', batch: 64, h: 28, w: 28, c: 1, oc: 6, k: 5, padding: 'same' },
  { name: 'LeNet conv2 14x14x6 -> 16, 5x5 valid, batch 64', batch: 64, h: 14, w: 14, c: 6, oc: 16, k: 5, padding: 'valid' },
  { name: 'ResNet 3x3 32x32x64 -> 64, same, batch 32', batch: 32, h: 32, w: 32, c: 64, oc: 64, k: 3, padding: 'same' },
];

/** The page's quick preset: LeNet's second layer at batch 8, enough to show the table on a slow software adapter. */
export const QUICK_CONV_LAYERS: readonly ConvLayerSpec[] = [{ ...CONV_LAYERS[1]!, name: 'LeNet conv2 14x14x6 -> 16, 5x5 valid, batch 8', batch: 8 }];

/**
 * Variants timed beside 'auto' in every row: 'gemm', the GPU-class kernel 'auto' picks off software adapters, so a
 * software adapter's report shows it too (slow there: workgroup barriers are what a CPU implementation does worst).
 */
export const CONV_BENCH_VARIANTS: readonly ConvVariant[] = ['gemm'];

/**
 * On a software adapter, the largest pass (floating-point operations) that also times the variants: the ResNet layer's
 * gemm passes (2.4 GFLOP) take seconds a run on lavapipe, and timing them made the conv suite's run a third to a half
 * longer. A bound on the work, not on a measured time, so which cells are filled does not depend on how busy the
 * machine is (LeNet's layers are 15 and 31 MFLOP at batch 64).
 */
export const SOFTWARE_VARIANT_MAX_FLOPS = 1e8;

/** Whether a pass of this layer also times CONV_BENCH_VARIANTS on this adapter. */
export const timesVariants = (rt: Pick<Runtime, 'isSoftware'>, l: ConvLayerSpec): boolean => !rt.isSoftware || convFlops(l) <= SOFTWARE_VARIANT_MAX_FLOPS;

/**
 * Milliseconds per run of a variant beside 'auto': timed as 'auto' is, except on a software adapter, where it is one
 * run by the wall clock after a warm-up run.
 */
async function variantMs(rt: Runtime, dispatches: Dispatch[]): Promise<number> {
  if (!rt.isSoftware) return (await timeDispatches(rt, dispatches)).median;
  rt.run(dispatches);
  await rt.sync();
  const t0 = performance.now();
  rt.run(dispatches);
  await rt.sync();
  return performance.now() - t0;
}

/** The three passes of a convolution's training step. */
export type ConvPass = 'forward' | 'dx' | 'dw+db';
export const CONV_PASSES: readonly ConvPass[] = ['forward', 'dx', 'dw+db'];

/** Output height and width of a stride-1 layer. */
export const convOutput = (l: ConvLayerSpec): [number, number] => (l.padding === 'same' ? [l.h, l.w] : [l.h - l.k + 1, l.w - l.k + 1]);

/** Multiply-adds x 2 of one pass (the same for each: every output pixel meets every tap; db's sum is not counted). */
export function convFlops(l: ConvLayerSpec): number {
  const [oh, ow] = convOutput(l);
  return 2 * l.batch * oh * ow * l.oc * l.c * l.k * l.k;
}

export interface ConvBenchRow {
  layer: string;
  pass: ConvPass;
  /** From `timing`: GPU timestamps (or the wall clock) around one pass of many dispatches. */
  gflops: number;
  timing: Timing;
  /** The same dispatches timed as the peers are: the figure to compare with theirs. */
  wallClock: { gflops: number; timing: Timing; perBatch: number };
  /**
   * GFLOP/s of each of CONV_BENCH_VARIANTS on the same pass, timed as `timing`; on a software adapter one run by the
   * wall clock, and none for a pass of over SOFTWARE_VARIANT_MAX_FLOPS (100 MFLOP).
   */
  variants?: Record<string, number>;
  /** Each peer's GFLOP/s for the same pass (its own ops, wall clock around back-to-back calls). */
  peers: Record<string, number>;
  /** Descent's wall-clock figure over the best peer's. */
  vsBestPeer?: PeerComparison;
}

/** Time one pass of a layer on Descent: its dispatches by timestamps, then by the peers' protocol. */
async function timePass(rt: Runtime, l: ConvLayerSpec, pass: ConvPass, wallClock: WallClockOptions): Promise<Omit<ConvBenchRow, 'peers'>> {
  const rng = new Rng(l.h * 1000 + l.c * 10 + l.oc);
  const [oh, ow] = convOutput(l);
  const geometry = { padding: l.padding };
  const made: Tensor[] = [];
  const tensor = (shape: number[], label: string, random = true) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = random ? Tensor.from(rt, rng.floats(size), shape, label) : Tensor.zeros(rt, shape, label);
    made.push(t);
    return t;
  };
  const x = tensor([l.batch, l.h, l.w, l.c], 'x');
  const w = tensor([l.oc, l.c, l.k, l.k], 'w');
  conv2dShape(x, w, geometry);
  let prepare: (variant: ConvVariant | 'auto') => Promise<Dispatch[]>;
  if (pass === 'forward') {
    const t = { x, w, bias: tensor([l.oc], 'bias'), y: tensor([l.batch, oh, ow, l.oc], 'y', false) };
    prepare = async (variant) => [await prepareConv2d(rt, t, { ...geometry, variant })];
  } else {
    const dy = tensor([l.batch, oh, ow, l.oc], 'dy');
    const grads = pass === 'dx' ? { dx: tensor([...x.shape], 'dx', false) } : { dw: tensor([...w.shape], 'dw', false), db: tensor([l.oc], 'db', false) };
    const scratch = pass === 'dw+db' ? conv2dBackwardScratch(x, w, geometry) : null;
    const t = { x, w, dy, ...grads, ...(scratch ? { dwPartial: tensor(scratch, 'dw partial', false) } : {}) };
    prepare = (variant) => prepareConv2dBackward(rt, t, { ...geometry, variant });
  }
  let dispatches: Dispatch[] = [];
  try {
    dispatches = await prepare('auto');
    const flops = convFlops(l);
    const timing = await timeDispatches(rt, dispatches);
    const wall = await timeBackToBack(async (k) => {
      for (let i = 0; i < k; i++) rt.run(dispatches);
      await rt.sync();
    }, wallClock);
    const gflops = flops / (timing.median * 1e6);
    const variants: Record<string, number> = {};
    for (const v of CONV_BENCH_VARIANTS) {
      if (!timesVariants(rt, l)) break;
      if (resolveConvVariant(rt) === v) {
        variants[v] = gflops;
        continue;
      }
      const ds = await prepare(v);
      try {
        variants[v] = flops / ((await variantMs(rt, ds)) * 1e6);
      } finally {
        for (const d of ds) rt.release(d);
      }
    }
    return { layer: l.name, pass, gflops, timing, wallClock: { gflops: flops / (wall.timing.median * 1e6), ...wall }, variants };
  } finally {
    for (const d of dispatches) rt.release(d);
    for (const t of made) t.destroy();
  }
}

/** Every pass of every layer on Descent (peers' columns left empty for the suite to fill). */
export async function benchConv(
  rt: Runtime,
  options: { layers?: readonly ConvLayerSpec[]; wallClock?: WallClockOptions; log?: (row: ConvBenchRow) => void } = {},
): Promise<ConvBenchRow[]> {
  const rows: ConvBenchRow[] = [];
  for (const l of options.layers ?? CONV_LAYERS) {
    for (const pass of CONV_PASSES) {
      const row = { ...(await timePass(rt, l, pass, options.wallClock ?? {})), peers: {} };
      rows.push(row);
      options.log?.(row);
    }
  }
  return rows;
}

/** The conv rows as a plain-text table, each column's clock named. */
export function formatConv(rows: readonly (ConvBenchRow & { peerErrors?: Record<string, string> })[], peerNames: readonly string[]): string[] {
  const width = Math.max(...rows.map((r) => r.layer.length)) + 2;
  const peerText = (r: (typeof rows)[number], p: string) => peerCellText(r.peers[p], r.peerErrors?.[p]);
  const peerWidth = (p: string) => 2 + Math.max(7, p.length, ...rows.map((r) => peerText(r, p).length));
  const variants = [...new Set(rows.flatMap((r) => Object.keys(r.variants ?? {})))];
  const variantWidth = (v: string) => 2 + Math.max(7, v.length);
  const cells = [
    pad('pass', 7),
    pad('timestamps', 12),
    pad('wall', 9),
    ...variants.map((v) => pad(v, variantWidth(v))),
    ...peerNames.map((p) => pad(p, peerWidth(p))),
    pad('wall / best peer', 18),
  ];
  const out = [
    `conv2d GFLOP/s, f32, stride 1 (median of ${rows[0]!.timing.repetitions}; dx and dw+db count the forward's multiply-adds):`,
    `  'timestamps': ${TIMING_METHODS[rows[0]!.timing.method]}`,
    `  'wall' and the peers: ${TIMING_METHODS['wall-clock-submits']}; 'wall / best peer' compares these alone`,
    ...(variants.length
      ? [
          `  ${variants.map((v) => `'${v}'`).join(', ')}: that variant on the same pass, timed as 'timestamps' (a software adapter: one run after a warm-up, wall clock, and '-' for a pass of over ${SOFTWARE_VARIANT_MAX_FLOPS / 1e6} MFLOP)`,
        ]
      : []),
    `${'layer'.padEnd(width)}${cells.join('')}`,
  ];
  for (const r of rows) {
    out.push(
      r.layer.padEnd(width) +
        [
          pad(r.pass, 7),
          pad(r.gflops.toFixed(2), 12),
          pad(r.wallClock.gflops.toFixed(2), 9),
          ...variants.map((v) => pad(r.variants?.[v]?.toFixed(2) ?? '-', variantWidth(v))),
          ...peerNames.map((p) => pad(peerText(r, p), peerWidth(p))),
          pad(r.vsBestPeer ? `${r.vsBestPeer.ratio.toFixed(2)}x` : '-', 18),
        ].join(''),
    );
  }
  return out;
}

const pad = (s: string, n: number) => s.padStart(n);
