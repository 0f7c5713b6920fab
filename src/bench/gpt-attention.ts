// Fused attention against Descent's own unfused composition (src/bench/attention-compose.ts) at the gpt suite's
// heads and head size, at its context and at four times it, the same tokens per batch, timed by
// timeDispatches (GPU timestamps where the adapter offers them).
import type { Runtime } from '../gpu/runtime.js';
import { prepareFusedAttention, prepareUnfusedAttentionForward, type AttentionShape } from './attention-compose.js';
import type { GptSpec } from './peers/gpt-common.js';
import { timeDispatches, type Timing } from './timing.js';

/** One attention shape's fused forward and backward and unfused forward. */
export interface GptAttentionRow {
  shape: AttentionShape;
  /** The fused kernels apply the causal mask. */
  fusedForward: Timing;
  fusedBackward: Timing;
  /** B*H matmuls Q K^T, one unmasked row softmax, B*H matmuls P V. */
  unfusedForward: Timing;
  unfusedDispatches: number;
  /** unfusedForward / fusedForward (medians): above 1, the fused kernel is faster. */
  forwardSpeedup: number;
  /** What the composition leaves out. */
  note: string;
}

export const UNFUSED_NOTE =
  'unfused softmax unmasked (the fused kernel is causal); no unfused backward: Descent has no row-softmax backward kernel to compose one from';

/** The shapes: the spec's H and D at T = context and 4 * context, B keeping batch * context tokens. */
export function gptAttentionShapes(s: GptSpec): AttentionShape[] {
  const [H, D] = [s.heads, s.channels / s.heads];
  return [s.context, 4 * s.context].map((T) => ({ B: Math.max(1, Math.round((s.batch * s.context) / T)), T, H, D }));
}

/** Time the fused forward and backward and the unfused forward at each shape. */
export async function benchGptAttention(rt: Runtime, spec: GptSpec): Promise<GptAttentionRow[]> {
  const rows: GptAttentionRow[] = [];
  for (const shape of gptAttentionShapes(spec)) {
    const fused = await prepareFusedAttention(rt, shape);
    const unfused = await prepareUnfusedAttentionForward(rt, shape);
    try {
      const fusedForward = await timeDispatches(rt, fused.forward);
      const fusedBackward = await timeDispatches(rt, fused.backward);
      const unfusedForward = await timeDispatches(rt, unfused.dispatches);
      rows.push({
        shape,
        fusedForward,
        fusedBackward,
        unfusedForward,
        unfusedDispatches: unfused.dispatches.length,
        forwardSpeedup: unfusedForward.median / fusedForward.median,
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
  const out = [`attention, fused against unfused (${rows[0]!.fusedForward.method}, ms, median of ${rows[0]!.fusedForward.repetitions}):`];
  out.push(`  ${'B x T x H x D'.padEnd(16)}${'fused fwd'.padStart(11)}${'fused bwd'.padStart(11)}${'unfused fwd'.padStart(13)}  fwd speedup`);
  for (const r of rows) {
    const { B, T, H, D } = r.shape;
    out.push(
      `  ${`${B}x${T}x${H}x${D}`.padEnd(16)}${r.fusedForward.median.toFixed(3).padStart(11)}${r.fusedBackward.median.toFixed(3).padStart(11)}${r.unfusedForward.median.toFixed(3).padStart(13)}  ${r.forwardSpeedup.toFixed(2)}x (${r.unfusedDispatches} dispatches)`,
    );
  }
  out.push(`  ${rows[0]!.note}`);
  return out;
}
