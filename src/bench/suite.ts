// The benchmark suite, the same code in Node (npm run bench, through Dawn) and in the browser (the demo's
// benchmark page): matmul, convolutions, memory-bound kernels against a copy, training throughput, cold start,
// and the same matmuls, convolutions and training steps on peer libraries on the same adapter (in the page, in
// the same process; in Node, each system in a child process of its own: see parent.ts).
import type { Runtime } from '../gpu/runtime.js';
import { tunedMatmulChoices } from '../kernels/tuning.js';
import { OPTIMIZERS } from '../optim/index.js';
import { VERSION } from '../version.js';
import { autoShortfalls, shortfallWarning, type PeerComparison } from './compare.js';
import { CONV_LAYERS, benchConv, type ConvBenchRow, type ConvLayerSpec, type ConvPass } from './conv.js';
import { benchGptTraining, type GptTrainRow } from './gpt.js';
import { GPT_SPEC, type GptSpec, type PeerGptResult } from './peers/gpt-common.js';
import { DEFAULT_SIZES, applyPeerFigures, figureLine, runPeerSide, type PeerFigure, type PeerTrainFigure } from './figures.js';
import { benchMatmul, type MatmulBenchRow, type WallClockOptions } from './matmul.js';
import { benchMemory, type MemoryBenchRow } from './memory.js';
import { WORKLOADS, benchColdStart, benchTraining, type TrainBenchResult, type TrainWorkload } from './train.js';

export { formatReport } from './report.js';

/** A peer library's side of the benchmark (TensorFlow.js, jax-js): the same work; matmuls timed by timeBackToBack. */
export interface PeerRunner {
  name: string;
  version: string;
  matmul(n: number): Promise<{ gflops: number; msMedian: number; msMin: number; msMax: number }>;
  mlpTrainStep(o: { layers: number[]; batch: number; optimizer: 'adam' }): Promise<PeerTrainFigure>;
  /** A conv2d pass with the peer's own ops, timed by timeBackToBack; absent where the peer has none. */
  conv?(layer: ConvLayerSpec, pass: ConvPass): Promise<{ gflops: number }>;
  /** LeNet-5's training step (train.ts's LeNet workload). */
  cnnTrainStep?(o: { batch: number; optimizer: 'adam' }): Promise<PeerTrainFigure>;
  /** The gpt suite's GPT training step (peers/gpt-common.ts). */
  gptTrainStep?(spec: GptSpec): Promise<PeerGptResult>;
}

/** Why a peer has no figure in a row's cell: 'failed: <message>', 'crashed (signal SIGSEGV)', 'timed out after 600 s'. */
type PeerErrors = { peerErrors?: Record<string, string> };

/** How one system's part of a Node run ended (each system runs in a child process of its own). */
export interface PartOutcome {
  system: string;
  /** 'ok' once the part said it had finished; otherwise what happened to its process. */
  status: 'ok' | 'crashed' | 'timed out' | 'failed';
  /** 'crashed (signal SIGSEGV)', 'timed out after 600 s', 'exited with code 1', 'failed: <message>'; absent when ok. */
  detail?: string;
  seconds: number;
}

export interface BenchReport {
  descent: string;
  adapter: string;
  features: string[];
  environment: string;
  date: string;
  tuning: unknown;
  /** `error`: the peer could not be loaded (it has no column); `status`: its part did not finish (cells say why). */
  peers: { name: string; version: string; error?: string; status?: string }[];
  /** Node runs: how each system's child process ended, in the order they ran. */
  parts?: PartOutcome[];
  /**
   * Each row's GFLOP/s by kernel, and on every row of a size the peers' GFLOP/s at that size (wall clock around
   * back-to-back submits); the plain 'auto' row also carries its own figure on that clock and the ratio to the best peer.
   */
  matmul: (MatmulBenchRow & { peers: Record<string, number>; vsBestPeer?: PeerComparison } & PeerErrors)[];
  memory: MemoryBenchRow[];
  /** conv2d passes: Descent by timestamps and by the wall clock, the peers by the wall clock, the ratio wall / wall. */
  conv: (ConvBenchRow & PeerErrors)[];
  training: (TrainBenchResult & { peers: Record<string, PeerTrainFigure> } & PeerErrors)[];
  /** The small GPT's training tokens/s in each system; a peer that did not train or built another model is marked. */
  gpt: (GptTrainRow & PeerErrors)[];
  coldStart: { workload: string; ms: number } | null;
  /** Node runs: peers' figures for rows Descent's part never produced (it failed first), kept as measured. */
  unplaced?: PeerFigure[];
}

export type Suite = 'matmul' | 'conv' | 'memory' | 'train' | 'gpt' | 'cold';
export const SUITES: readonly Suite[] = ['matmul', 'conv', 'memory', 'train', 'gpt', 'cold'];
/** What runs when no suite is named: all of them (the training suite includes LeNet-5). */
export const DEFAULT_SUITES: readonly Suite[] = SUITES;
/** The suites with a peer side. */
export const PEER_SUITES: readonly Suite[] = ['matmul', 'conv', 'train', 'gpt'];

export interface SuiteOptions {
  suites?: readonly Suite[];
  sizes?: number[];
  /** The conv suite's layers (default CONV_LAYERS). */
  convLayers?: readonly ConvLayerSpec[];
  /** The training suite's workloads (default WORKLOADS: two MLPs and LeNet-5). */
  workloads?: readonly TrainWorkload[];
  /** The gpt suite's model and batch (default GPT_SPEC). */
  gptSpec?: GptSpec;
  /** How long Descent's matmul is timed by the peers' protocol (default as long as the peers are). */
  wallClock?: WallClockOptions;
  parameters?: number;
  optimizers?: string[];
  peers?: PeerRunner[];
  peerErrors?: { name: string; version: string; error: string }[];
  environment?: string;
  /** Progress lines as results come in. */
  log?: (line: string) => void;
}

/** A report with no figures yet. */
export function emptyReport(rt: { description: string; features: Iterable<string> }, environment = ''): BenchReport {
  return {
    descent: VERSION,
    adapter: rt.description,
    features: [...rt.features],
    environment,
    date: new Date().toISOString(),
    tuning: null,
    peers: [],
    matmul: [],
    memory: [],
    conv: [],
    training: [],
    gpt: [],
    coldStart: null,
  };
}

/** Run the chosen suites and return every figure: Descent's, then each peer's, suite by suite. */
export async function runBenchmarks(rt: Runtime, o: SuiteOptions = {}): Promise<BenchReport> {
  const suites = o.suites ?? DEFAULT_SUITES;
  const log = o.log ?? (() => {});
  const peers = o.peers ?? [];
  const report = await runDescentSuites(rt, o);
  report.peers = [...peers.map((p) => ({ name: p.name, version: p.version })), ...(o.peerErrors ?? [])];
  for (const suite of suites.filter((s) => PEER_SUITES.includes(s))) {
    for (const p of peers) {
      const figures: PeerFigure[] = [];
      const plan = { suites: [suite], sizes: o.sizes ?? DEFAULT_SIZES, convLayers: o.convLayers, workloads: o.workloads, gptSpec: o.gptSpec };
      await runPeerSide(p, plan, (f) => {
        figures.push(f);
        log(figureLine(f));
      });
      applyPeerFigures(report, p.name, figures, [suite]);
    }
  }
  return report;
}

/** Descent's side of the chosen suites alone (no peer columns). */
export async function runDescentSuites(rt: Runtime, o: SuiteOptions = {}): Promise<BenchReport> {
  const suites = o.suites ?? DEFAULT_SUITES;
  const log = o.log ?? (() => {});
  const report = emptyReport(rt, o.environment);
  report.tuning = tunedMatmulChoices(rt);
  if (suites.includes('matmul')) {
    const rows = await benchMatmul(rt, {
      sizes: o.sizes ?? [...DEFAULT_SIZES],
      wallClock: o.wallClock,
      log: (r) =>
        log(`matmul ${r.size} ${r.kernel}${r.transA ? ' A^T' : ''}${r.transB ? ' B^T' : ''}${r.epilogue ? ' +bias+relu' : ''}: ${r.gflops.toFixed(2)} GFLOP/s`),
    });
    report.matmul = rows.map((r) => ({ ...r, peers: {} }));
    for (const r of report.matmul) if (r.wallClock) log(`matmul ${r.size} ${r.kernel}, wall clock like the peers: ${r.wallClock.gflops.toFixed(2)} GFLOP/s`);
    for (const w of autoShortfalls(report.matmul)) log(shortfallWarning(w));
  }
  if (suites.includes('conv')) {
    report.conv = await benchConv(rt, {
      layers: o.convLayers ?? CONV_LAYERS,
      wallClock: o.wallClock,
      log: (r) => log(`conv ${r.layer} ${r.pass}: ${r.gflops.toFixed(2)} GFLOP/s (timestamps), ${r.wallClock.gflops.toFixed(2)} GFLOP/s (wall clock)`),
    });
  }
  if (suites.includes('memory')) {
    const names = o.optimizers ?? ['sgd', 'adam'];
    report.memory = await benchMemory(
      rt,
      names.map((n) => OPTIMIZERS[n]!()),
      {
        parameters: o.parameters,
        log: (r) => log(`${r.kernel}: ${r.gbps.toFixed(2)} GB/s, copy ${r.copyGbps.toFixed(2)} GB/s, ratio ${r.ratio.toFixed(2)}`),
      },
    );
  }
  if (suites.includes('train')) {
    for (const w of o.workloads ?? WORKLOADS) {
      const r = await benchTraining(rt, w);
      log(`${w.name}: ${r.timing.median.toFixed(2)} ms/step, ${Math.round(r.samplesPerSecond)} samples/s, ${r.dispatchesPerStep} dispatches/step`);
      report.training.push({ ...r, peers: {} });
    }
  }
  if (suites.includes('gpt')) {
    const r = await benchGptTraining(rt, o.gptSpec ?? GPT_SPEC);
    log(
      `${r.workload}: ${r.msPerStep.toFixed(2)} ms/step, ${Math.round(r.tokensPerSecond)} tokens/s, ${r.params} parameters, loss ${r.lossFirst.toFixed(3)} -> ${r.lossLast.toFixed(3)}`,
    );
    report.gpt.push(r);
  }
  if (suites.includes('cold')) {
    const w = (o.workloads ?? WORKLOADS)[0]!;
    const c = await benchColdStart(w);
    report.coldStart = { workload: w.name, ms: c.ms };
    log(`cold start (${w.name}): ${c.ms.toFixed(0)} ms from createRuntime to the first finished step`);
  }
  return report;
}

/** Append `part`'s rows to `into` (the same run's reports of other suites). */
export function mergeReport(into: BenchReport, part: BenchReport): void {
  into.matmul.push(...part.matmul);
  into.memory.push(...part.memory);
  into.conv.push(...part.conv);
  into.training.push(...part.training);
  into.gpt.push(...(part.gpt ?? []));
  into.coldStart ??= part.coldStart;
}
