// A peer library's side of the benchmark as a list of figures: the same code runs it in the page (beside Descent,
// in one process) and in a Node child process of its own, whose figures reach the parent one message at a time,
// so a child that dies keeps what it already sent. `applyPeerFigures` puts them into Descent's rows.
import { isPlainAuto, wallClockVsPeers } from './compare.js';
import { CONV_LAYERS, CONV_PASSES, type ConvLayerSpec, type ConvPass } from './conv.js';
import { gptPeerProblem, gptVsBestPeer } from './gpt.js';
import { GPT_SPEC, gptWorkloadName, type GptSpec, type PeerGptResult } from './peers/gpt-common.js';
import type { BenchReport, PeerRunner, Suite } from './suite.js';
import { WORKLOADS, type TrainWorkload } from './train.js';

export interface PeerTrainFigure {
  msPerStep: number;
  samplesPerSecond: number;
  lossFirst: number;
  lossLast: number;
}

/** One measured cell of a peer, or why it has no figure (`error`). */
export type PeerFigure = { peer: string; error?: string } & (
  | { suite: 'matmul'; size: number; gflops?: number }
  | { suite: 'conv'; layer: string; pass: ConvPass; gflops?: number }
  | ({ suite: 'train'; workload: string } & Partial<PeerTrainFigure>)
  | ({ suite: 'gpt'; workload: string } & Partial<PeerGptResult>)
);

/** What a peer is asked to measure. */
export interface PeerPlan {
  suites: readonly Suite[];
  sizes: readonly number[];
  convLayers?: readonly ConvLayerSpec[];
  workloads?: readonly TrainWorkload[];
  gptSpec?: GptSpec;
}

export const DEFAULT_SIZES: readonly number[] = [64, 128, 256, 512, 1024];

/** Where a figure goes, as the progress lines and the page's failure keys name it ("matmul 128 tfjs"). */
export function figureKey(f: PeerFigure): string {
  if (f.suite === 'matmul') return `matmul ${f.size} ${f.peer}`;
  if (f.suite === 'conv') return `conv ${f.layer} ${f.pass} ${f.peer}`;
  return `${f.workload} ${f.peer}`;
}

/** A progress line for a figure: "<key>: 1.23 GFLOP/s", or "<key>: failed (why)" (the page reads that form back). */
export function figureLine(f: PeerFigure): string {
  const key = figureKey(f);
  if (f.error !== undefined) return `${key}: failed (${f.error})`;
  if (f.suite === 'train') return `${key}: ${f.msPerStep!.toFixed(2)} ms/step, ${Math.round(f.samplesPerSecond!)} samples/s`;
  if (f.suite === 'gpt')
    return `${key}: ${f.msPerStep!.toFixed(2)} ms/step, ${Math.round(f.tokensPerSecond!)} tokens/s, ${f.params} parameters, loss ${f.lossFirst!.toFixed(3)} -> ${f.lossLast!.toFixed(3)}${f.note ? ` (${f.note})` : ''}`;
  return `${key}: ${f.gflops!.toFixed(2)} GFLOP/s`;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Run one peer's side of the chosen suites, each figure handed to `emit` as soon as it is measured. */
export async function runPeerSide(p: PeerRunner, plan: PeerPlan, emit: (f: PeerFigure) => void): Promise<void> {
  const peer = p.name;
  if (plan.suites.includes('matmul')) {
    for (const size of plan.sizes) {
      try {
        emit({ peer, suite: 'matmul', size, gflops: (await p.matmul(size)).gflops });
      } catch (e) {
        emit({ peer, suite: 'matmul', size, error: message(e) });
      }
    }
  }
  if (plan.suites.includes('conv')) {
    for (const l of plan.convLayers ?? CONV_LAYERS) {
      for (const pass of CONV_PASSES) {
        try {
          if (!p.conv) throw new Error(`${peer} has no conv`);
          emit({ peer, suite: 'conv', layer: l.name, pass, gflops: (await p.conv(l, pass)).gflops });
        } catch (e) {
          emit({ peer, suite: 'conv', layer: l.name, pass, error: message(e) });
        }
      }
    }
  }
  if (plan.suites.includes('train')) {
    for (const w of plan.workloads ?? WORKLOADS) {
      try {
        let m: PeerTrainFigure;
        if (w.model !== 'lenet') m = await p.mlpTrainStep({ layers: w.widths, batch: w.batch, optimizer: 'adam' });
        else if (p.cnnTrainStep) m = await p.cnnTrainStep({ batch: w.batch, optimizer: 'adam' });
        else throw new Error(`${peer} has no CNN training`);
        const { msPerStep, samplesPerSecond, lossFirst, lossLast } = m;
        emit({ peer, suite: 'train', workload: w.name, msPerStep, samplesPerSecond, lossFirst, lossLast });
      } catch (e) {
        emit({ peer, suite: 'train', workload: w.name, error: message(e) });
      }
    }
  }
  if (plan.suites.includes('gpt')) {
    const spec = plan.gptSpec ?? GPT_SPEC;
    const workload = gptWorkloadName(spec);
    try {
      if (!p.gptTrainStep) throw new Error(`${peer} has no GPT`);
      emit({ peer, suite: 'gpt', workload, ...(await p.gptTrainStep(spec)) });
    } catch (e) {
      emit({ peer, suite: 'gpt', workload, error: message(e) });
    }
  }
}

/** The rows of `report` a figure belongs to (every matmul row of its size; one conv or training row). */
function rowsOf(report: BenchReport, f: PeerFigure): { peers: Record<string, unknown>; peerErrors?: Record<string, string> }[] {
  if (f.suite === 'matmul') return report.matmul.filter((r) => r.size === f.size);
  if (f.suite === 'conv') return report.conv.filter((r) => r.layer === f.layer && r.pass === f.pass);
  if (f.suite === 'gpt') return report.gpt.filter((r) => r.workload === f.workload);
  return report.training.filter((r) => r.workload === f.workload);
}

const setError = (row: { peerErrors?: Record<string, string> }, peer: string, error: string) => {
  row.peerErrors = { ...row.peerErrors, [peer]: error };
};

/**
 * Put a peer's figures into Descent's rows (an error into the row's `peerErrors`), then, when the peer's part did
 * not finish (`unfinished`: 'crashed (signal SIGSEGV)', 'timed out after 600 s'), say so in every cell of the
 * suites it was asked for that got neither; finally recompute the wall-clock ratios.
 */
export function applyPeerFigures(report: BenchReport, peer: string, figures: readonly PeerFigure[], suites: readonly Suite[], unfinished?: string): void {
  for (const f of figures) {
    for (const row of rowsOf(report, f)) {
      if (f.error !== undefined) setError(row, peer, `failed: ${f.error}`);
      else if (f.suite === 'train') {
        const { msPerStep, samplesPerSecond, lossFirst, lossLast } = f as Required<PeerTrainFigure>;
        row.peers[peer] = { msPerStep, samplesPerSecond, lossFirst, lossLast };
      } else if (f.suite === 'gpt') {
        const { msPerStep, tokensPerSecond, lossFirst, lossLast, params, note } = f as PeerGptResult;
        const figure = { msPerStep, tokensPerSecond, lossFirst, lossLast, params, ...(note ? { note } : {}) };
        row.peers[peer] = figure;
        // A peer whose model did not train, or is not the same size, keeps its figures but is marked and not compared.
        const problem = gptPeerProblem(row as unknown as { params: number }, figure);
        if (problem) setError(row, peer, `not compared: ${problem}`);
      } else row.peers[peer] = f.gflops;
    }
  }
  if (unfinished) {
    const rows = [
      ...(suites.includes('matmul') ? report.matmul : []),
      ...(suites.includes('conv') ? report.conv : []),
      ...(suites.includes('train') ? report.training : []),
      ...(suites.includes('gpt') ? report.gpt : []),
    ];
    for (const row of rows) if (row.peers[peer] === undefined && !row.peerErrors?.[peer]) setError(row, peer, unfinished);
  }
  for (const r of [...report.matmul.filter(isPlainAuto), ...report.conv]) {
    const vs = wallClockVsPeers(r, r.peers);
    if (vs) r.vsBestPeer = vs;
  }
  for (const r of report.gpt) {
    const vs = gptVsBestPeer(r);
    if (vs) r.vsBestPeer = vs;
  }
}
