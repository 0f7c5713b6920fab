// Matmul GFLOP/s over the size, on uPlot: one series per Descent kernel (solid) and per peer (dashed), the size
// on a log-2 axis. The container gets data-sizes, data-series and data-values (finite y values drawn) for tests.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BenchReport } from '../../src/bench/suite.js';
import { fmt, loadedPeers, matmulColumn, matmulKernels, peerLabel } from './bench-tables.js';

const KERNEL_COLORS: Record<string, string> = {
  naive: '#9aa3af',
  blocked: '#3157d5',
  interleaved: '#7b3fc4',
  wide: '#0f8a8a',
  block8: '#2f9e44',
  block16: '#e03131',
  subgroup: '#74b816',
  vec4: '#1971c2',
  tiled: '#d9822b',
  auto: '#1c2430',
};
const PEER_COLORS: Record<string, string> = { tfjs: '#e8590c', jax: '#c2255c' };
const FALLBACK = ['#f08c00', '#862e9c', '#5c940d', '#0b7285'];

export class MatmulChart {
  private plot: uPlot | null = null;
  private readonly resize: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    private readonly height = 275,
  ) {
    this.resize = new ResizeObserver(() => {
      const w = this.width();
      if (this.plot && Math.abs(w - this.plot.width) >= 1) this.plot.setSize({ width: w, height: this.height });
    });
    this.resize.observe(container);
  }

  private width(): number {
    return Math.max(240, Math.floor(this.container.clientWidth || 480));
  }

  /** Draw the report's matmul figures (replacing what was drawn). */
  show(r: BenchReport): void {
    this.plot?.destroy();
    this.plot = null;
    const sizes = [...new Set(r.matmul.map((m) => m.size))].sort((a, b) => a - b);
    const kernels = matmulKernels(r);
    const peers = loadedPeers(r);
    const cols: (number | null)[][] = [];
    const series: uPlot.Series[] = [{ label: 'n', value: (_u, v) => (v == null ? '—' : String(v)) }];
    for (const k of kernels) {
      cols.push(sizes.map((n) => r.matmul.find((m) => m.size === n && matmulColumn(m) === k)?.gflops ?? null));
      const color = KERNEL_COLORS[k] ?? FALLBACK[series.length % FALLBACK.length]!;
      series.push({
        label: k,
        stroke: color,
        width: k === 'auto' ? 2.5 : 1.5,
        points: { show: true, size: 6, fill: color },
        spanGaps: true,
        value: (_u, v) => (v == null ? '—' : fmt(v)),
      });
    }
    for (const p of peers) {
      cols.push(sizes.map((n) => r.matmul.find((m) => m.size === n)?.peers[p] ?? null));
      const color = PEER_COLORS[p] ?? FALLBACK[series.length % FALLBACK.length]!;
      series.push({
        label: peerLabel(p),
        stroke: color,
        width: 2,
        dash: [6, 4],
        points: { show: true, size: 6, fill: '#fff', stroke: color },
        spanGaps: true,
        value: (_u, v) => (v == null ? '—' : fmt(v)),
      });
    }
    const axis = {
      stroke: '#5d6877',
      grid: { stroke: '#eef0f3', width: 1 },
      ticks: { stroke: '#e2e6eb', width: 1 },
      font: '11px system-ui, sans-serif',
      labelFont: '600 11px system-ui, sans-serif',
    };
    const opts: uPlot.Options = {
      width: this.width(),
      height: this.height,
      scales: {
        // A log-2 axis: each doubling of n is one step. With a single size, a plain range around it.
        x: sizes.length > 1 ? { time: false, distr: 3, log: 2 } : { time: false, range: (_u, lo, hi) => [lo / 2, hi * 2] },
        y: { range: (_u, _lo, hi) => [0, hi > 0 ? hi * 1.08 : 1] },
      },
      axes: [
        {
          ...axis,
          label: 'n (matrix size, log₂ scale)',
          labelSize: 18,
          size: 34,
          values: (_u, ticks) => ticks.map((t) => (t == null ? '' : String(Math.round(t)))),
          splits: sizes.length > 1 ? () => sizes : undefined,
        },
        { ...axis, label: 'GFLOP/s', labelSize: 18, size: 48, values: (_u, ticks) => ticks.map((t) => (t == null ? '' : fmt(t))) },
      ],
      series,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    this.plot = new uPlot(opts, [sizes, ...cols] as uPlot.AlignedData, this.container);
    const d = this.container.dataset;
    d.sizes = sizes.join(',');
    d.series = String(series.length - 1);
    d.values = String(cols.flat().filter((v) => v !== null && Number.isFinite(v)).length);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
  }
}
