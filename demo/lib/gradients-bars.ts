// Bars of each layer's gradient norm at the latest step, on a log axis (uPlot), coloured like the heat map.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { HEAT_RAMP, css, fmt, ramp } from './landscape-colors.js';
import { LOG_RANGE } from './gradients-heatmap.js';
import { decades } from './landscape-chart.js';

/** Norms below this (float32 underflow, or a dead layer) are drawn at this height. */
const FLOOR = 1e-16;

export class LayerBars {
  private plot: uPlot | null = null;
  private labels: string[] = [];
  private values: number[] = [];

  constructor(private readonly el: HTMLElement) {}

  setLayers(labels: string[]): void {
    this.labels = labels;
    this.values = labels.map(() => FLOOR);
    this.plot?.destroy();
    this.plot = new uPlot(this.options(), this.data(), this.el);
  }

  update(norms: ArrayLike<number>): void {
    this.values = Array.from(norms, (v) => (v > FLOOR ? v : FLOOR));
    this.plot?.setData(this.data(), true);
  }

  resize(): void {
    this.plot?.setSize(this.size());
  }

  private data(): uPlot.AlignedData {
    return [this.labels.map((_, i) => i + 1), this.values];
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(220, Math.floor(this.el.clientWidth)), height: 180 };
  }

  private options(): uPlot.Options {
    const axis = {
      stroke: '#5d6877',
      grid: { stroke: '#eef0f3', width: 1 },
      ticks: { stroke: '#e2e6eb', width: 1 },
      font: '11px system-ui, sans-serif',
      labelFont: '600 11px system-ui, sans-serif',
    };
    const color = (v: number) => css(ramp(HEAT_RAMP, (Math.log10(v) - LOG_RANGE[0]) / (LOG_RANGE[1] - LOG_RANGE[0])));
    const n = this.labels.length;
    return {
      ...this.size(),
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: () => [0.5, n + 0.5] },
        y: {
          distr: 3,
          log: 10,
          range: (_u, _min, max) => {
            const top = 10 ** Math.ceil(Math.log10(Math.max(max, 1e-3)) + 0.01);
            const low = Math.min(...this.values);
            return [10 ** (Math.floor(Math.log10(Math.min(low, top / 100))) - 1), top];
          },
        },
      },
      axes: [
        {
          ...axis,
          label: 'layer (input → output)',
          labelSize: 18,
          size: 30,
          splits: () => {
            const every = Math.max(1, Math.ceil(n / 12));
            return this.labels.map((_, i) => i + 1).filter((i) => (i - 1) % every === 0 || i === n);
          },
          values: (_u, vals) => vals.map((v) => this.labels[v - 1] ?? ''),
        },
        {
          ...axis,
          label: '‖∇W‖, latest step',
          labelSize: 18,
          size: 50,
          splits: (_u, _i, min, max) => decades(min, max),
          filter: (_u, splits) => splits,
          values: (_u, vals) => vals.map((v) => (v === null ? '' : fmt(v, 1))),
        },
      ],
      series: [
        {},
        {
          label: 'gradient norm',
          stroke: 'transparent',
          fill: 'rgba(0,0,0,0)',
          points: { show: false },
          paths: uPlot.paths.bars!({
            size: [0.75, 28],
            disp: {
              fill: { unit: 3, values: (_u: uPlot, _s: number) => this.values.map(color) },
              stroke: { unit: 3, values: (_u: uPlot, _s: number) => this.values.map(() => 'rgba(20, 24, 36, 0.55)') },
            },
          }),
        },
      ],
    };
  }
}
