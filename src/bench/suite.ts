// The benchmark suite, the same code in Node (npm run bench, through Dawn) and in the browser (the demo's
// benchmark page): matmul, memory-bound kernels against a copy, training throughput, cold start, and the
// same matmul sizes and training steps on peer libraries, in the same process and on the same adapter.
import type { Runtime } from '../gpu/runtime.js';
import { tunedMatmulChoices } from '../kernels/tuning.js';
import { OPTIMIZERS } from '../optim/index.js';
import { VERSION } from '../version.js';
import { autoShortfalls, isPlainAuto, shortfallWarning, wallClockVsPeers, type PeerComparison } from './compare.js';
import { CONV_LAYERS, benchConv, formatConv, type ConvBenchRow, type ConvLayerSpec, type ConvPass } from './conv.js';
import { benchMatmul, type MatmulBenchRow, type WallClockOptions } from './matmul.js';
import { TIMING_METHODS } from './timing.js';
import { benchMemory, type MemoryBenchRow } from './memory.js';
import { WORKLOADS, benchColdStart, benchTraining, type TrainBenchResult } from './train.js';

/** A peer library's side of the benchmark (TensorFlow.js, jax-js): the same work; matmuls timed by timeBackToBack. */
export interface PeerRunner {
  name: string;
  version: string;
  matmul(n: number): Promise<{ gflops: number; msMedian: number; msMin: number; msMax: number }>;
  mlpTrainStep(o: {
    layers: number[];
    batch: number;
    optimizer: 'adam';
  }): Promise<{ msPerStep: number; samplesPerSecond: number; lossFirst: number; lossLast: number }>;
  /** A conv2d pass with the peer's own ops, timed by timeBackToBack; absent where the peer has none. */
  conv?(layer: ConvLayerSpec, pass: ConvPass): Promise<{ gflops: number }>;
  /** LeNet-5's training step (train.ts's LeNet workload). */
  cnnTrainStep?(o: { batch: number; optimizer: 'adam' }): Promise<{ msPerStep: number; samplesPerSecond: number; lossFirst: number; lossLast: number }>;
}

export interface BenchReport {
  descent: string;
  adapter: string;
  features: string[];
  environment: string;
  date: string;
  tuning: unknown;
  peers: { name: string; version: string; error?: string }[];
  /**
   * Each row's GFLOP/s by kernel, and on every row of a size the peers' GFLOP/s at that size (wall clock around
   * back-to-back submits); the plain 'auto' row also carries its own figure on that clock and the ratio to the best peer.
   */
  matmul: (MatmulBenchRow & { peers: Record<string, number>; vsBestPeer?: PeerComparison })[];
  memory: MemoryBenchRow[];
  /** conv2d passes: Descent by timestamps and by the wall clock, the peers by the wall clock, the ratio wall / wall. */
  conv: ConvBenchRow[];
  training: (TrainBenchResult & { peers: Record<string, { samplesPerSecond: number; msPerStep: number; lossFirst: number; lossLast: number }> })[];
  coldStart: { workload: string; ms: number } | null;
}

export type Suite = 'matmul' | 'conv' | 'memory' | 'train' | 'cold';
export const SUITES: readonly Suite[] = ['matmul', 'conv', 'memory', 'train', 'cold'];
/**
 * What runs when no suite is named. `conv` (the convolution layers, and LeNet-5's training step in the training
 * table) is asked for by name: in Node the peers' LeNet-5 step has crashed the process (a native fault) after
 * Descent's, so it stays out of the default run until that is understood.
 */
export const DEFAULT_SUITES: readonly Suite[] = ['matmul', 'memory', 'train', 'cold'];
/** The suites with a peer side. */
export const PEER_SUITES: readonly Suite[] = ['matmul', 'conv', 'train'];

export interface SuiteOptions {
  suites?: readonly Suite[];
  sizes?: number[];
  /** The conv suite's layers (default CONV_LAYERS). */
  convLayers?: readonly ConvLayerSpec[];
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

/** Run the chosen suites and return every figure. */
export async function runBenchmarks(rt: Runtime, o: SuiteOptions = {}): Promise<BenchReport> {
  const suites = o.suites ?? DEFAULT_SUITES;
  const log = o.log ?? (() => {});
  const peers = o.peers ?? [];
  const report: BenchReport = {
    descent: VERSION,
    adapter: rt.description,
    features: [...rt.features],
    environment: o.environment ?? '',
    date: new Date().toISOString(),
    tuning: tunedMatmulChoices(rt),
    peers: [...peers.map((p) => ({ name: p.name, version: p.version })), ...(o.peerErrors ?? [])],
    matmul: [],
    memory: [],
    conv: [],
    training: [],
    coldStart: null,
  };
  if (suites.includes('matmul')) {
    const sizes = o.sizes ?? [64, 128, 256, 512, 1024];
    const rows = await benchMatmul(rt, {
      sizes,
      wallClock: o.wallClock,
      log: (r) =>
        log(`matmul ${r.size} ${r.kernel}${r.transA ? ' A^T' : ''}${r.transB ? ' B^T' : ''}${r.epilogue ? ' +bias+relu' : ''}: ${r.gflops.toFixed(2)} GFLOP/s`),
    });
    report.matmul = rows.map((r) => ({ ...r, peers: {} }));
    for (const r of report.matmul) if (r.wallClock) log(`matmul ${r.size} ${r.kernel}, wall clock like the peers: ${r.wallClock.gflops.toFixed(2)} GFLOP/s`);
    for (const w of autoShortfalls(report.matmul)) log(shortfallWarning(w));
    for (const p of peers) {
      for (const n of sizes) {
        try {
          const m = await p.matmul(n);
          for (const r of report.matmul) if (r.size === n) r.peers[p.name] = m.gflops;
          log(`matmul ${n} ${p.name}: ${m.gflops.toFixed(2)} GFLOP/s`);
        } catch (e) {
          log(`matmul ${n} ${p.name}: failed (${(e as Error).message})`);
        }
      }
    }
    for (const r of report.matmul.filter(isPlainAuto)) {
      const vs = wallClockVsPeers(r, r.peers);
      if (vs) r.vsBestPeer = vs;
    }
  }
  if (suites.includes('conv')) report.conv = await convSuite(rt, o, peers, log);
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
    for (const w of WORKLOADS.filter((x) => x.model !== 'lenet' || suites.includes('conv'))) {
      const r = await benchTraining(rt, w);
      log(`${w.name}: ${r.timing.median.toFixed(2)} ms/step, ${Math.round(r.samplesPerSecond)} samples/s, ${r.dispatchesPerStep} dispatches/step`);
      const row = { ...r, peers: {} as BenchReport['training'][number]['peers'] };
      for (const p of peers) {
        try {
          const m =
            w.model === 'lenet'
              ? await (p.cnnTrainStep ?? unsupported(p, 'CNN training'))({ batch: w.batch, optimizer: 'adam' })
              : await p.mlpTrainStep({ layers: w.widths, batch: w.batch, optimizer: 'adam' });
          row.peers[p.name] = m;
          log(`${w.name} ${p.name}: ${m.msPerStep.toFixed(2)} ms/step, ${Math.round(m.samplesPerSecond)} samples/s`);
        } catch (e) {
          log(`${w.name} ${p.name}: failed (${(e as Error).message})`);
        }
      }
      report.training.push(row);
    }
  }
  if (suites.includes('cold')) {
    const w = WORKLOADS[0]!;
    const c = await benchColdStart(w);
    report.coldStart = { workload: w.name, ms: c.ms };
    log(`cold start (${w.name}): ${c.ms.toFixed(0)} ms from createRuntime to the first finished step`);
  }
  return report;
}

const unsupported = (p: PeerRunner, what: string) => (): never => {
  throw new Error(`${p.name} has no ${what}`);
};

/** The conv suite: Descent's passes on both clocks, then each peer's on the wall clock, and the ratios. */
async function convSuite(rt: Runtime, o: SuiteOptions, peers: PeerRunner[], log: (line: string) => void): Promise<ConvBenchRow[]> {
  const layers = o.convLayers ?? CONV_LAYERS;
  const rows = await benchConv(rt, {
    layers,
    wallClock: o.wallClock,
    log: (r) => log(`conv ${r.layer} ${r.pass}: ${r.gflops.toFixed(2)} GFLOP/s (timestamps), ${r.wallClock.gflops.toFixed(2)} GFLOP/s (wall clock)`),
  });
  for (const p of peers) {
    for (const l of layers) {
      for (const r of rows.filter((x) => x.layer === l.name)) {
        try {
          const m = await (p.conv ?? unsupported(p, 'conv'))(l, r.pass);
          r.peers[p.name] = m.gflops;
          log(`conv ${l.name} ${r.pass} ${p.name}: ${m.gflops.toFixed(2)} GFLOP/s`);
        } catch (e) {
          log(`conv ${l.name} ${r.pass} ${p.name}: failed (${(e as Error).message})`);
        }
      }
    }
  }
  for (const r of rows) {
    const vs = wallClockVsPeers(r, r.peers);
    if (vs) r.vsBestPeer = vs;
  }
  return rows;
}

const pad = (s: string, n: number) => s.padStart(n);

/** The report as plain-text tables, peers' columns and Descent / best-peer ratios included. */
export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  out.push(`Descent ${r.descent} on ${r.adapter}`, `features: ${r.features.join(', ') || 'none'}; ${r.environment}; ${r.date}`);
  out.push(`peers: ${r.peers.map((p) => `${p.name} ${p.version}${p.error ? ` (unavailable: ${p.error})` : ''}`).join(', ') || 'none'}`);
  const peerNames = r.peers.filter((p) => !p.error).map((p) => p.name);
  if (r.matmul.length) {
    const method = r.matmul[0]!.timing.method;
    out.push('', `matmul GFLOP/s, f32, square (median of ${r.matmul[0]!.timing.repetitions}):`);
    out.push(`  kernel and auto columns: ${TIMING_METHODS[method]}`);
    out.push(`  'auto, wall' and the peers: ${TIMING_METHODS['wall-clock-submits']}; 'wall / best peer' compares these alone`);
    const kernels = [...new Set(r.matmul.map((m) => (m.kernel.startsWith('auto') ? 'auto' : m.kernel)))];
    const extra = ['auto A^T', 'auto B^T', 'auto +bias+relu', 'auto, wall'];
    out.push(
      [
        pad('size', 5),
        ...kernels.map((k) => pad(k, 12)),
        ...extra.map((k) => pad(k, 16)),
        ...peerNames.map((p) => pad(p, 8)),
        pad('wall / best peer', 17),
      ].join(''),
    );
    for (const n of [...new Set(r.matmul.map((m) => m.size))]) {
      const rows = r.matmul.filter((m) => m.size === n);
      const cell = (f: (m: MatmulBenchRow) => boolean) => rows.find(f)?.gflops;
      const auto = rows.find(isPlainAuto);
      out.push(
        [
          pad(String(n), 5),
          ...kernels.map((k) => pad(cell((m) => (k === 'auto' ? isPlainAuto(m) : m.kernel === k))?.toFixed(2) ?? '-', 12)),
          pad(cell((m) => m.kernel.startsWith('auto') && m.transA)?.toFixed(2) ?? '-', 16),
          pad(cell((m) => m.kernel.startsWith('auto') && m.transB)?.toFixed(2) ?? '-', 16),
          pad(cell((m) => m.kernel.startsWith('auto') && m.epilogue)?.toFixed(2) ?? '-', 16),
          pad(auto?.wallClock?.gflops.toFixed(2) ?? '-', 16),
          ...peerNames.map((p) => pad(rows[0]?.peers[p]?.toFixed(2) ?? '-', 8)),
          pad(auto?.vsBestPeer ? `${auto.vsBestPeer.ratio.toFixed(2)}x` : '-', 17),
        ].join(''),
      );
    }
    if (r.matmul.some((m) => m.kernel.startsWith('auto')))
      out.push(`auto = the tuned choice per shape class (${JSON.stringify(r.tuning ?? 'untuned defaults')})`);
    for (const w of autoShortfalls(r.matmul)) out.push(shortfallWarning(w));
  }
  if (r.conv?.length) out.push('', ...formatConv(r.conv, peerNames));
  if (r.memory.length) {
    out.push('', 'memory-bound kernels, GB/s of bytes read + written, against copyBufferToBuffer of the same bytes:');
    const width = Math.max(...r.memory.map((m) => m.kernel.length));
    for (const m of r.memory) {
      out.push(
        `${m.kernel.padEnd(width)} ${(m.bytes / 2 ** 20).toFixed(0).padStart(5)} MiB ${m.timing.median.toFixed(2).padStart(8)} ms ${m.gbps.toFixed(2).padStart(7)} GB/s   copy ${m.copyGbps.toFixed(2).padStart(7)} GB/s   ratio ${m.ratio.toFixed(2)}`,
      );
    }
  }
  if (r.training.length) {
    out.push('', 'training, steady state after warm-up (median ms/step of 5 repetitions):');
    for (const t of r.training) {
      const peers = peerNames.map((p) => t.peers[p]).filter((x) => x !== undefined);
      const best = Math.max(...peers.map((p) => p!.samplesPerSecond));
      out.push(
        `${t.workload}: Descent ${t.timing.median.toFixed(2)} ms/step (${t.timing.min.toFixed(2)}-${t.timing.max.toFixed(2)}), ` +
          `${Math.round(t.samplesPerSecond)} samples/s, ${t.dispatchesPerStep} dispatches/step, peak GPU memory ${(t.peakBytes / 2 ** 20).toFixed(2)} MiB, ` +
          `loss ${t.lossFirst.toFixed(3)} -> ${t.lossLast.toFixed(3)}`,
      );
      for (const p of peerNames) {
        const x = t.peers[p];
        if (x)
          out.push(
            `  ${p}: ${x.msPerStep.toFixed(2)} ms/step, ${Math.round(x.samplesPerSecond)} samples/s, loss ${x.lossFirst.toFixed(3)} -> ${x.lossLast.toFixed(3)}`,
          );
      }
      if (peers.length) out.push(`  Descent / best peer: ${(t.samplesPerSecond / best).toFixed(2)}x samples/s`);
    }
  }
  if (r.coldStart) out.push('', `cold start: ${r.coldStart.ms.toFixed(0)} ms from createRuntime to the first finished step of the ${r.coldStart.workload}`);
  return out.join('\n');
}
