// The benchmark page's run: the suite of src/bench, one suite at a time (so the page can say which one is
// running), the peer libraries loaded once per page and only when asked (their code is large: a dynamic import),
// and the per-suite reports merged into one BenchReport, the same shape `npm run bench` writes.
import type { Runtime } from '../../src/gpu/runtime.js';
import { tuneMatmul } from '../../src/kernels/autotune.js';
import { tunedMatmulChoices } from '../../src/kernels/tuning.js';
import { mergeReport, runBenchmarks, type BenchReport, type PeerRunner, type Suite } from '../../src/bench/suite.js';
import type { ConvLayerSpec } from '../../src/bench/conv.js';
import type { TrainWorkload } from '../../src/bench/train.js';

export interface PeerSet {
  peers: PeerRunner[];
  errors: { name: string; version: string; error: string }[];
}

export interface BenchRunOptions {
  suites: readonly Suite[];
  sizes: number[];
  parameters: number;
  /** The conv suite's layers and the training suite's workloads (default: the full-size ones). */
  convLayers?: readonly ConvLayerSpec[];
  workloads?: readonly TrainWorkload[];
  /** Run TF.js and jax-js beside Descent. */
  peers: boolean;
  /** The suites the peers take part in (matmul, conv and train have a peer side). */
  peerSuites: readonly Suite[];
  /** Measure the matmul tuning first (once per adapter; cached in localStorage), as `npm run bench` does. */
  tune: boolean;
  environment: string;
  log: (line: string) => void;
  /** Called as each suite starts: its index among the chosen ones and its name. */
  onSuite?: (index: number, suite: Suite | 'peers' | 'tuning') => void;
}

let peerSet: Promise<PeerSet> | null = null;

/** TF.js and jax-js on the page's adapter, loaded at the first call (a failed load is remembered with its reason). */
export function loadPeersOnce(rt: Runtime): Promise<PeerSet> {
  // A quick run times fewer peer training steps: on SwiftShader TF.js takes half a second to a second per MLP step,
  // and over a second per LeNet-5 step even at batch 8.
  const quick = new URLSearchParams(location.search).has('quick');
  const steps = quick ? { trainSteps: 10, cnnSteps: 3 } : {};
  peerSet ??= import('../../src/bench/peers/runner.js').then((m) => m.loadPeerRunners(rt, steps));
  return peerSet;
}

/** Every chosen suite, one after the other, merged into one report. */
export async function runSuites(rt: Runtime, o: BenchRunOptions): Promise<BenchReport> {
  const wantPeers = o.peers && o.suites.some((s) => o.peerSuites.includes(s));
  let set: PeerSet = { peers: [], errors: [] };
  if (o.tune && o.suites.includes('matmul')) {
    o.onSuite?.(-1, 'tuning');
    const t0 = performance.now();
    const tuning = await tuneMatmul(rt, { log: (l) => o.log(`tuning ${l}`) });
    o.log(`matmul tuning measured ${tuning.measuredAt} (${((performance.now() - t0) / 1000).toFixed(1)} s here): ${JSON.stringify(tuning.choices)}`);
  }
  if (wantPeers) {
    o.onSuite?.(-1, 'peers');
    o.log('loading TF.js and jax-js…');
    const t0 = performance.now();
    set = await loadPeersOnce(rt);
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    for (const p of set.peers) o.log(`peer ${p.name} ${p.version}: loaded on this adapter (${s} s)`);
    for (const p of set.errors) o.log(`peer ${p.name}: unavailable (${p.error})`);
  }
  let merged: BenchReport | null = null;
  for (const [i, suite] of o.suites.entries()) {
    o.onSuite?.(i, suite);
    const withPeers = wantPeers && o.peerSuites.includes(suite);
    const r = await runBenchmarks(rt, {
      suites: [suite],
      sizes: o.sizes,
      parameters: o.parameters,
      convLayers: o.convLayers,
      workloads: o.workloads,
      peers: withPeers ? set.peers : [],
      peerErrors: set.errors,
      environment: o.environment,
      log: o.log,
    });
    if (!merged) {
      merged = r;
      // The peers are listed whenever they were asked for, even if the first suite ran without them.
      merged.peers = wantPeers ? [...set.peers.map((p) => ({ name: p.name, version: p.version })), ...set.errors] : [];
    } else mergeReport(merged, r);
  }
  if (!merged) throw new Error('no suite chosen');
  merged.tuning = tunedMatmulChoices(rt);
  return merged;
}
