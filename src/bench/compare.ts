// Comparisons drawn from the matmul rows of a benchmark: the tuned 'auto' choice against the fastest variant at
// each size (a tuning that does not fit shows here), and against the peers on one clock.
import type { MatmulBenchRow } from './matmul.js';

/** 'auto' below this fraction of the fastest variant at a size earns a warning. */
export const AUTO_WARN_BELOW = 0.8;

const plain = (m: MatmulBenchRow) => !m.transA && !m.transB && !m.epilogue;
/** The row of the tuned choice on a plain product (no transpose, no epilogue). */
export const isPlainAuto = (m: MatmulBenchRow): boolean => m.kernel.startsWith('auto') && plain(m);

export interface AutoShortfall {
  size: number;
  auto: MatmulBenchRow;
  /** The fastest plain variant at this size. */
  best: MatmulBenchRow;
  /** auto's GFLOP/s over best's, both from the same clock. */
  ratio: number;
  /** auto ran the very kernel (variant and workgroup) of the fastest variant's row: the gap is timing noise. */
  sameKernel: boolean;
}

const sameChoice = (a: MatmulBenchRow, b: MatmulBenchRow): boolean =>
  !!a.choice && !!b.choice && a.choice.variant === b.choice.variant && a.choice.workgroup.join('x') === b.choice.workgroup.join('x');

/** The sizes where plain 'auto' runs below `threshold` times the fastest plain variant. */
export function autoShortfalls(rows: readonly MatmulBenchRow[], threshold = AUTO_WARN_BELOW): AutoShortfall[] {
  const out: AutoShortfall[] = [];
  for (const size of new Set(rows.map((m) => m.size))) {
    const here = rows.filter((m) => m.size === size && plain(m));
    const auto = here.find(isPlainAuto);
    const variants = here.filter((m) => !isPlainAuto(m));
    if (!auto || variants.length === 0) continue;
    const best = variants.reduce((a, b) => (b.gflops > a.gflops ? b : a));
    if (auto.gflops < threshold * best.gflops) out.push({ size, auto, best, ratio: auto.gflops / best.gflops, sameKernel: sameChoice(auto, best) });
  }
  return out;
}

/** One line saying what a shortfall is and what to do about it. */
export function shortfallWarning(s: AutoShortfall): string {
  const head = `warning: at n = ${s.size} ${s.auto.kernel} ran ${s.auto.gflops.toFixed(2)} GFLOP/s, ${s.ratio.toFixed(2)}x the fastest variant ${s.best.kernel} (${s.best.gflops.toFixed(2)})`;
  return s.sameKernel
    ? `${head}: the same kernel timed twice, so the gap is timing noise (a busy machine or adapter), not the tuning; rerun on a quiet machine`
    : `${head}: the tuning does not fit this size or was measured under load (npm run bench -- --retune)`;
}

export interface PeerComparison {
  /** Descent's wall-clock GFLOP/s over the best peer's: above 1, Descent is faster. */
  ratio: number;
  peer: string;
  descent: number;
  best: number;
}

/**
 * Plain 'auto' (or a convolution pass) against the fastest peer at its size, on one clock: Descent's figure timed by the peers'
 * protocol (wall clock around back-to-back submits), never its GPU-timestamp figure. Null without either side.
 */
export function wallClockVsPeers(auto: { wallClock?: { gflops: number } } | undefined, peers: Readonly<Record<string, number>>): PeerComparison | null {
  const descent = auto?.wallClock?.gflops;
  const entries = Object.entries(peers).filter(([, v]) => Number.isFinite(v) && v > 0);
  if (descent === undefined || entries.length === 0) return null;
  const [peer, best] = entries.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { ratio: descent / best, peer, descent, best };
}

/**
 * A peer's cell in a text table: its figure, else why it has none ('crashed (signal SIGSEGV)', 'timed out after
 * 600 s', 'failed': the message is in the log and the JSON), else '-'.
 */
export function peerCellText(value: number | undefined, error: string | undefined, digits = 2): string {
  if (value !== undefined && Number.isFinite(value)) return value.toFixed(digits);
  if (error === undefined) return '-';
  return error.startsWith('failed') ? 'failed' : error;
}
