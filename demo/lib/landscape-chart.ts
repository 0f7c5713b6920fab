// f over steps for every path, on a log scale (arcsinh for surfaces that go below zero), revealed step by step
// in time with the map's animation.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmt } from './landscape-colors.js';

export interface ChartPath {
  label: string;
  color: string;
  xy: Float32Array;
  valid: number;
}

/** Values at or below zero cannot sit on a log axis; they are drawn here. */
const LOG_FLOOR = 1e-12;
const AXIS = '#c3cbd8';
const GRID = 'rgba(255, 255, 255, 0.09)';

/** Whole powers of ten in [min, max], thinned to at most six. */
export function decades(min: number, max: number): number[] {
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const every = Math.max(1, Math.ceil((hi - lo + 1) / 6));
  const out: number[] = [];
  for (let e = lo; e <= hi; e += every) out.push(10 ** e);
  return out;
}

/** 0 and ±powers of ten on an arcsinh axis, at least 16 px apart. */
function signedSplits(u: uPlot, _i: number, min: number, max: number): number[] {
  const candidates = [0];
  for (let e = -2; e <= 15; e++) candidates.push(10 ** e, -(10 ** e));
  const inRange = candidates.filter((v) => v >= min && v <= max).sort((a, b) => Math.abs(b) - Math.abs(a));
  const kept: number[] = [];
  for (const v of [0, ...inRange.filter((v) => v !== 0)]) {
    if (!(v >= min && v <= max)) continue;
    const y = u.valToPos(v, 'y');
    if (kept.every((k) => Math.abs(u.valToPos(k, 'y') - y) >= 16)) kept.push(v);
  }
  return kept.sort((a, b) => a - b);
}

export class LossChart {
  private plot: uPlot | null = null;
  private full: (number | null)[][] = [];
  private steps = 1;
  private yRange: [number, number] = [1e-3, 1];
  private signed = false;

  constructor(private readonly el: HTMLElement) {}

  /** A new run: its paths, all steps known; nothing drawn until reveal(). */
  setPaths(paths: readonly ChartPath[], steps: number, signed: boolean): void {
    this.steps = steps;
    this.signed = signed;
    this.full = paths.map((p) => {
      const out: (number | null)[] = new Array(steps + 1).fill(null);
      for (let k = 0; k < p.valid; k++) {
        const f = p.xy[3 * k + 2]!;
        out[k] = signed ? f : Math.max(f, LOG_FLOOR);
      }
      return out;
    });
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.full) for (const v of s) if (v !== null) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    if (!Number.isFinite(lo)) [lo, hi] = signed ? [-1, 1] : [1e-3, 1];
    const r = signed ? uPlot.rangeAsinh(lo, hi, 10, true) : uPlot.rangeLog(lo, hi === lo ? lo * 10 : hi, 10, true);
    this.yRange = [r[0] ?? lo, r[1] ?? hi];
    this.plot?.destroy();
    this.plot = new uPlot(this.options(paths), [[0], ...paths.map(() => [null])], this.el);
    this.el.dataset.series = String(paths.length);
    this.el.dataset.points = '0';
  }

  /** Show steps 0..upTo. */
  reveal(upTo: number): void {
    if (!this.plot) return;
    const n = Math.min(this.steps, upTo) + 1;
    const x = Array.from({ length: n }, (_, i) => i);
    this.plot.setData([x, ...this.full.map((s) => s.slice(0, n))]);
    let points = 0;
    for (const s of this.full) for (let i = 0; i < n; i++) if (s[i] !== null) points++;
    this.el.dataset.points = String(points);
  }

  resize(): void {
    this.plot?.setSize(this.size());
  }

  private size(): { width: number; height: number } {
    const width = Math.max(240, Math.floor(this.el.clientWidth));
    return { width, height: Math.round(Math.min(260, Math.max(180, width * 0.6))) };
  }

  private options(paths: readonly ChartPath[]): uPlot.Options {
    const axis = {
      stroke: AXIS,
      grid: { stroke: GRID, width: 1 },
      ticks: { stroke: GRID, width: 1 },
      font: '12px system-ui, sans-serif',
      labelFont: '12px system-ui, sans-serif',
    };
    return {
      ...this.size(),
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: false, range: () => [0, this.steps] },
        y: this.signed ? { distr: 4, asinh: 0.01, range: () => this.yRange } : { distr: 3, log: 10, range: () => this.yRange },
      },
      axes: [
        { ...axis, label: 'step', labelSize: 18 },
        {
          ...axis,
          label: 'f(x, y)',
          labelSize: 18,
          size: 56,
          values: (_u, vals) => vals.map((v) => (v === null ? '' : fmt(v, 1))),
          splits: this.signed ? signedSplits : (_u: uPlot, _i: number, min: number, max: number) => decades(min, max),
          filter: (_u: uPlot, splits: number[]) => splits,
        },
      ],
      series: [{}, ...paths.map((p) => ({ label: p.label, stroke: p.color, width: 2, spanGaps: false, points: { show: false } }))],
    };
  }
}
