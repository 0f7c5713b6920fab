// The gpt suite: training tokens/s and ms/step of the same small GPT in Descent and the peers (peers/gpt-common.ts
// holds the spec, the initial parameters all start from and the token batches), each row saying whether the
// model really trained (the loss on batch 0 after the timed steps below its first loss).
import type { Runtime } from '../gpu/runtime.js';
import { adamw } from '../optim/adam.js';
import { Network } from '../train/network.js';
import { benchGptAttention, formatGptAttention, type GptAttentionRow } from './gpt-attention.js';
import { benchGptGeneration, formatGptGeneration, type GptGenerateRow } from './gpt-generate.js';
import { GPT_ADAMW, GPT_SPEC, gptModel, gptProblem, gptWorkloadName, type GptSpec, type PeerGptResult } from './peers/gpt-common.js';
import { timeWork, type Timing } from './timing.js';

/** A peer's GPT figures as the row keeps them. */
export type PeerGptFigure = PeerGptResult;

/** Descent's GPT training figures, with the peers' beside them. */
export interface GptTrainRow {
  workload: string;
  spec: GptSpec;
  /** Trainable parameters of Descent's model; each peer reports its own count. */
  params: number;
  timing: Timing;
  msPerStep: number;
  tokensPerSecond: number;
  dispatchesPerStep: number;
  /** Loss of the first step (batch 0) and of one more step on batch 0 after the timed ones. */
  lossFirst: number;
  lossLast: number;
  /** lossLast < lossFirst: the timed steps trained the model. */
  trains: boolean;
  peers: Record<string, PeerGptFigure>;
  /** Descent's tokens/s over the best peer's that trained. */
  vsBestPeer?: { peer: string; ratio: number };
  /** Greedy generation on the trained model, with the key/value cache and by full recompute (Descent only). */
  generation?: GptGenerateRow;
  /** Fused attention against the unfused composition at the model's heads (Descent only). */
  attention?: GptAttentionRow[];
}

/** Steady-state training steps of the spec's GPT on Descent (the same batches and initial values as the peers). */
export async function benchGptTraining(rt: Runtime, spec: GptSpec = GPT_SPEC, options: { warmup?: number; targetMs?: number } = {}): Promise<GptTrainRow> {
  const pr = gptProblem(spec);
  const { lr, beta1, beta2, eps, weightDecay } = GPT_ADAMW;
  const net = await Network.compile(rt, gptModel(spec), { loss: 'cross_entropy', optimizer: adamw({ lr, betas: [beta1, beta2], eps, weightDecay }) });
  let row: GptTrainRow;
  try {
    const plan = await net.plan(spec.batch, true);
    const losses: number[] = [];
    net.onStep((m) => (losses[m.step] = m.loss));
    let k = 0;
    const timing = await timeWork(
      () => {
        const b = k++ % pr.xs.length;
        return net.trainStep(plan, pr.xs[b]!, pr.ys[b]!);
      },
      () => net.flush(),
      { warmup: options.warmup ?? 10, targetMs: options.targetMs ?? 1000 },
    );
    // One more step on batch 0, whose loss is compared with the first step's (also batch 0), as the peers do.
    await net.trainStep(plan, pr.xs[0]!, pr.ys[0]!);
    await net.flush();
    const lossFirst = losses[0] ?? NaN;
    const lossLast = losses[losses.length - 1] ?? NaN;
    const tokens = spec.batch * spec.context;
    const generation = await benchGptGeneration(net, spec);
    row = {
      workload: gptWorkloadName(spec),
      spec,
      params: pr.params,
      timing,
      msPerStep: timing.median,
      tokensPerSecond: (tokens * 1000) / timing.median,
      dispatchesPerStep: plan.dispatchCount,
      lossFirst,
      lossLast,
      trains: lossLast < lossFirst,
      peers: {},
      generation,
    };
  } finally {
    await net.destroy();
  }
  // After the network is gone, so its buffers and pending work do not share the adapter with the timed kernels.
  return { ...row, attention: await benchGptAttention(rt, spec) };
}

/** Why a peer's figure does not count: a parameter count other than Descent's, or a loss that did not fall. */
export function gptPeerProblem(row: Pick<GptTrainRow, 'params'>, f: PeerGptFigure): string | undefined {
  if (f.params !== row.params) return `its model has ${f.params} parameters, Descent's ${row.params}`;
  if (!(f.lossLast < f.lossFirst)) return `did not train: loss ${f.lossFirst.toFixed(4)} -> ${f.lossLast.toFixed(4)}`;
  return undefined;
}

/** Descent's tokens/s over the best peer's among those that trained with the same parameter count. */
export function gptVsBestPeer(row: GptTrainRow): { peer: string; ratio: number } | undefined {
  const ok = Object.entries(row.peers).filter(([, f]) => gptPeerProblem(row, f) === undefined);
  if (ok.length === 0) return undefined;
  const [peer, best] = ok.reduce((a, b) => (b[1].tokensPerSecond > a[1].tokensPerSecond ? b : a));
  return { peer, ratio: row.tokensPerSecond / best.tokensPerSecond };
}

const pad = (s: string, n: number) => s.padStart(n);

/** The gpt rows as a plain-text table: one line per system, its loss and whether it trained. */
export function formatGpt(rows: readonly (GptTrainRow & { peerErrors?: Record<string, string> })[], peerNames: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    out.push(
      `${r.workload}: ${r.params} parameters; Descent ${r.timing.median.toFixed(2)} ms/step median of ${r.timing.repetitions} (${r.timing.min.toFixed(2)}-${r.timing.max.toFixed(2)}), peers mean over their timed steps`,
    );
    out.push(`${'system'.padEnd(9)}${pad('ms/step', 10)}${pad('tokens/s', 11)}${pad('params', 9)}  loss first -> last (batch 0)`);
    const line = (name: string, ms: number, tps: number, params: number, a: number, b: number, note = '') =>
      `${name.padEnd(9)}${pad(ms.toFixed(2), 10)}${pad(Math.round(tps).toString(), 11)}${pad(String(params), 9)}  ${a.toFixed(4)} -> ${b.toFixed(4)}${note}`;
    out.push(line('descent', r.msPerStep, r.tokensPerSecond, r.params, r.lossFirst, r.lossLast, r.trains ? '' : '  DID NOT TRAIN'));
    for (const p of peerNames) {
      const f = r.peers[p];
      const why = r.peerErrors?.[p];
      if (f) {
        const problem = gptPeerProblem(r, f);
        out.push(
          line(p, f.msPerStep, f.tokensPerSecond, f.params, f.lossFirst, f.lossLast, problem ? `  NOT COMPARED: ${problem}` : f.note ? `  (${f.note})` : ''),
        );
      } else out.push(`${p.padEnd(9)}  ${why ?? 'no figure'}`);
    }
    if (r.vsBestPeer) out.push(`Descent / best peer (${r.vsBestPeer.peer}): ${r.vsBestPeer.ratio.toFixed(2)}x tokens/s`);
    if (r.generation) out.push(...formatGptGeneration(r.generation));
    if (r.attention) out.push(...formatGptAttention(r.attention));
  }
  return out;
}
