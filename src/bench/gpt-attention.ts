// Fused attention against Descent's own composed implementation (src/bench/attention-compose.ts) at the gpt suite's
// heads and head size, at its context and at four times it, the same tokens per batch, timed by
// timeDispatches (GPU timestamps where the adapter offers them).
import type { Runtime } from '../gpu/runtime.js';
import { prepareFusedAttention, prepareUnfusedAttention, randomAttentionData, type AttentionShape } from './attention-compose.js';
import type { GptSpec } from './peers/gpt-common.js';
import { timeDispatches, type Timing } from './timing.js';

/** One attention shape's fused and unfused forward and backward. */
export interface GptAttentionRow {
  shape: AttentionShape;
  /** The fused kernels: one forward dispatch, two backward (dq, then dk and dv). */
  fusedForward: Timing;
  fusedBackward: Timing;
  /** The composed implementation: batched Q K^T over every head, one causal row softmax, batched P V. */
  unfusedForward: Timing;
  /** Batched dP = dO V^T, one softmax backward, batched dQ, dK and dV. */
  unfusedBackward: Timing;
  unfusedForwardDispatches: number;
  unfusedBackwardDispatches: number;
  /** unfusedForward / fusedForward (medians): above 1, the fused kernel is faster. */
  forwardSpeedup: number;
  /** unfusedBackward / fusedBackward (medians). */
  backwardSpeedup: number;
  /** What the composition leaves out. */
  note: string;
}

export const UNFUSED_NOTE =
  "unfused: the composed implementation (attention: 'composed', what 'auto' runs on CPU adapters for short contexts): batched products over every head and one masked row softmax (backward: its softmax backward), keeping P";

/** The shapes: the spec's H and D at T = context and 4 * context, B keeping batch * context tokens. */
export function gptAttentionShapes(s: GptSpec): AttentionShape[] {
  const [H, D] = [s.heads, s.channels / s.heads];
  return [s.context, 4 * s.context].map((T) => ({ B: Math.max(1, Math.round((s.batch * s.context) / T)), T, H, D }));
}

/** Time the fused and unfused forward and backward at each shape (each backward after its forward has run). */
export async function benchGptAttention(rt: Runtime, spec: GptSpec): Promise<GptAttentionRow[]> {
  const rows: GptAttentionRow[] = [];
  for (const shape of gptAttentionShapes(spec)) {
    const data = randomAttentionData(shape);
    const fused = await prepareFusedAttention(rt, shape, data);
    const unfused = await prepareUnfusedAttention(rt, shape, data);
    try {
      const fusedForward = await timeDispatches(rt, fused.forward);
      const fusedBackward = await timeDispatches(rt, fused.backward);
      const unfusedForward = await timeDispatches(rt, unfused.forward);
      const unfusedBackward = await timeDispatches(rt, unfused.backward);
      rows.push({
        shape,
        fusedForward,
        fusedBackward,
        unfusedForward,
        unfusedBackward,
        unfusedForwardDispatches: unfused.forward.length,
        unfusedBackwardDispatches: unfused.backward.length,
        forwardSpeedup: unfusedForward.median / fusedForward.median,
        backwardSpeedup: unfusedBackward.median / fusedBackward.median,
        note: UNFUSED_NOTE,
      });
    } finally {
      fused.destroy();
      unfused.destroy();
    }
  }
  return rows;
}

/** The attention rows as text lines. */
export function formatGptAttention(rows: readonly GptAttentionRow[]): string[] {
  if (rows.length === 0) return [];
  const out = [`attention, fused against unfused, causal (${rows[0]!.fusedForward.method}, ms, median of ${rows[0]!.fusedForward.repetitions}):`];
  const head = ['fused fwd', 'unfused fwd', 'speedup', 'fused bwd', 'unfused bwd', 'speedup'];
  out.push(`  ${'B x T x H x D'.padEnd(16)}${head.map((h) => h.padStart(12)).join('')}  dispatches (unfused fwd / bwd)`);
  for (const r of rows) {
    const { B, T, H, D } = r.shape;
    const ms = (t: Timing) => t.median.toFixed(3);
    const x = (v: number) => `${v.toFixed(2)}x`;
    const cells = [ms(r.fusedForward), ms(r.unfusedForward), x(r.forwardSpeedup), ms(r.fusedBackward), ms(r.unfusedBackward), x(r.backwardSpeedup)];
    out.push(
      `  ${`${B}x${T}x${H}x${D}`.padEnd(16)}${cells.map((c) => c.padStart(12)).join('')}  ${r.unfusedForwardDispatches} / ${r.unfusedBackwardDispatches}`,
    );
  }
  out.push(`  ${rows[0]!.note}`);
  return out;
}
