// A live line chart on uPlot, shared by the labs: several named series over one x axis (usually the step),
// points appended as they arrive and drawn at most once per animation frame, an optional log-scale y axis,
// and a cap on the points kept (older ones are merged pairwise, so a long run stays cheap to draw).
// The container gets data-points (x values held) and data-series (series count) for tests.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** Any CSS colour. */
  color: string;
  /** Line width in CSS pixels (default 1.5). */
  width?: number;
  dash?: number[];
  /** Draw a dot at each value (for sparse series such as a periodic evaluation). */
  points?: boolean;
  /** Hidden series stay in the legend, toggled by clicking it. */
  show?: boolean;
}

export interface LineChartOptions {
  series: ChartSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (values <= 0 are not drawn). */
  logY?: boolean;
  /** Plot height in CSS pixels (default 200); the width follows the container. */
  height?: number;
  /** Fixed y range, e.g. [0, 1] for an accuracy. */
  yRange?: [number, number];
  /** Most x values kept before pairs are merged (default 2000). */
  maxPoints?: number;
  /** Format of legend values (default 4 significant digits). */
  format?: (v: number) => string;
}

type Value = number | null;

const defaultFormat = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(+v.toPrecision(4)));

/** A live line chart with several named series. */
export class LineChart {
  private plot: uPlot | null = null;
  private xs: number[] = [];
  private cols: Value[][] = [];
  /** Values appended since the last kept point, merged into one point every `stride` appends. */
  private bucket: { n: number; x: number; sums: number[]; counts: number[] } | null = null;
  private stride = 1;
  private dirty = false;
  private frame = 0;
  private readonly resize: ResizeObserver;
  private readonly host: HTMLDivElement;

  constructor(
    readonly container: HTMLElement,
    private options: LineChartOptions,
  ) {
    this.host = document.createElement('div');
    this.host.className = 'chart-host';
    container.replaceChildren(this.host);
    container.classList.add('chart');
    this.cols = options.series.map(() => []);
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(container);
    this.build();
  }

  /** x values held (after merging). */
  get length(): number {
    return this.xs.length;
  }

  get series(): readonly ChartSeries[] {
    return this.options.series;
  }

  /** Add one x with a value (or null) per series. */
  append(x: number, values: readonly Value[]): void {
    const k = this.options.series.length;
    if (this.stride === 1) {
      this.xs.push(x);
      for (let i = 0; i < k; i++) this.cols[i]!.push(clean(values[i]));
    } else {
      const b = (this.bucket ??= { n: 0, x, sums: new Array<number>(k).fill(0), counts: new Array<number>(k).fill(0) });
      b.n++;
      b.x = x;
      for (let i = 0; i < k; i++) {
        const v = clean(values[i]);
        if (v !== null) {
          b.sums[i]! += v;
          b.counts[i]!++;
        }
      }
      if (b.n < this.stride) return;
      this.xs.push(b.x);
      for (let i = 0; i < k; i++) this.cols[i]!.push(b.counts[i] ? b.sums[i]! / b.counts[i]! : null);
      this.bucket = null;
    }
    if (this.xs.length > (this.options.maxPoints ?? 2000)) this.halve();
    this.schedule();
  }

  /**
   * Set values at x where x is not beyond the points held (the first held x >= x gets them; null leaves a
   * series as it is); appends when x is beyond them.
   */
  put(x: number, values: readonly Value[]): void {
    const last = this.xs[this.xs.length - 1];
    if (last === undefined || (x > last && !this.bucket)) return this.append(x, values);
    if (x > last && this.bucket) {
      values.forEach((v, i) => {
        const c = clean(v);
        if (c !== null) {
          this.bucket!.sums[i]! += c;
          this.bucket!.counts[i]!++;
        }
      });
      return;
    }
    let j = this.xs.findIndex((v) => v >= x);
    if (j < 0) j = this.xs.length - 1;
    values.forEach((v, i) => {
      const c = clean(v);
      if (c !== null && this.cols[i]) this.cols[i]![j] = c;
    });
    this.schedule();
  }

  /** Replace everything: one x array and one column per series. */
  setData(xs: readonly number[], columns: readonly (readonly Value[])[]): void {
    this.xs = [...xs];
    this.cols = this.options.series.map((_, i) => (columns[i] ?? []).map(clean));
    this.stride = 1;
    this.bucket = null;
    while (this.xs.length > (this.options.maxPoints ?? 2000)) this.halve();
    this.schedule();
  }

  clear(): void {
    this.setData([], []);
  }

  /** Switch the y axis between linear and logarithmic (the data stays). */
  setLogY(on: boolean): void {
    if (!!this.options.logY === on) return;
    this.options = { ...this.options, logY: on };
    this.build();
  }

  /** A new set of series; the data is cleared. */
  setSeries(series: ChartSeries[]): void {
    this.options = { ...this.options, series };
    this.xs = [];
    this.cols = series.map(() => []);
    this.stride = 1;
    this.bucket = null;
    this.build();
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  /** Keep every other point, each the mean of a pair, and merge twice as many appends from now on. */
  private halve(): void {
    const xs: number[] = [];
    const cols: Value[][] = this.cols.map(() => []);
    for (let j = 0; j + 1 < this.xs.length; j += 2) {
      xs.push(this.xs[j + 1]!);
      this.cols.forEach((c, i) => {
        const [a, b] = [c[j]!, c[j + 1]!];
        cols[i]!.push(a === null ? b : b === null ? a : (a + b) / 2);
      });
    }
    if (this.xs.length % 2) {
      xs.push(this.xs[this.xs.length - 1]!);
      this.cols.forEach((c, i) => cols[i]!.push(c[c.length - 1]!));
    }
    this.xs = xs;
    this.cols = cols;
    this.stride *= 2;
  }

  private schedule(): void {
    this.container.dataset.points = String(this.xs.length);
    if (this.dirty) return;
    this.dirty = true;
    this.frame = requestAnimationFrame(() => {
      this.dirty = false;
      this.plot?.setData(this.data());
      if (this.plot) this.showLatest(this.plot);
    });
  }

  /** Away from the cursor the legend shows the latest value of each series (the last non-null one). */
  private showLatest(u: uPlot): void {
    if (u.cursor.idx != null || this.xs.length === 0) return;
    const idxs = [
      this.xs.length - 1,
      ...this.cols.map((c) => {
        for (let i = c.length - 1; i >= 0; i--) if (c[i] !== null) return i;
        return null;
      }),
    ];
    u.setLegend({ idx: this.xs.length - 1, idxs }, false);
  }

  private data(): uPlot.AlignedData {
    const logY = this.options.logY;
    const cols = logY ? this.cols.map((c) => c.map((v) => (v !== null && v > 0 ? v : null))) : this.cols;
    return [this.xs, ...cols] as uPlot.AlignedData;
  }

  private width(): number {
    return Math.max(160, Math.floor(this.container.clientWidth || 320));
  }

  private fit(): void {
    if (!this.plot) return;
    const w = this.width();
    if (Math.abs(w - this.plot.width) >= 1) this.plot.setSize({ width: w, height: this.options.height ?? 200 });
  }

  private build(): void {
    this.plot?.destroy();
    const o = this.options;
    const format = o.format ?? defaultFormat;
    const axisStyle = {
      stroke: '#5d6877',
      grid: { stroke: '#eef0f3', width: 1 },
      ticks: { stroke: '#e2e6eb', width: 1 },
      font: '11px system-ui, sans-serif',
      labelFont: '600 11px system-ui, sans-serif',
    };
    const opts: uPlot.Options = {
      width: this.width(),
      height: o.height ?? 200,
      title: o.title,
      scales: {
        x: { time: false },
        // Log axes hug the data on a 1-2-5 grid (uPlot's default widens them to whole decades).
        y: o.logY
          ? { distr: 3, log: 10, range: (_u, min, max) => (min > 0 && max > 0 ? [nice(min / 1.1, -1), nice(max * 1.1, 1)] : [0.01, 10]) }
          : o.yRange
            ? { range: o.yRange }
            : {},
      },
      axes: [
        { ...axisStyle, label: o.xLabel, labelSize: o.xLabel ? 18 : 0, size: 32 },
        { ...axisStyle, label: o.yLabel, labelSize: o.yLabel ? 18 : 0, size: 50, values: (_u, ticks) => ticks.map((t) => (t == null ? '' : tickLabel(t))) },
      ],
      series: [
        { label: o.xLabel ?? 'x', value: (_u, v) => (v == null ? '—' : String(v)) },
        ...o.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash,
          show: s.show ?? true,
          spanGaps: true,
          points: { show: s.points ?? false, size: 5, fill: s.color },
          value: (_u, v) => (v == null ? '—' : format(v)),
        })),
      ],
      legend: { live: true },
      hooks: { setCursor: [(u) => this.showLatest(u)] },
      cursor: { drag: { x: true, y: false } },
    };
    this.plot = new uPlot(opts, this.data(), this.host);
    this.container.dataset.series = String(o.series.length);
    this.container.dataset.points = String(this.xs.length);
    this.container.dataset.log = o.logY ? 'true' : 'false';
  }
}

/** The nearest of 1, 2, 5 times a power of ten below (dir -1) or above (dir 1) v > 0. */
function nice(v: number, dir: -1 | 1): number {
  const p = 10 ** Math.floor(Math.log10(v));
  const steps = [1, 2, 5, 10];
  if (dir < 0) return p * steps.filter((s) => s * p <= v * (1 + 1e-9)).pop()!;
  return p * steps.find((s) => s * p >= v * (1 - 1e-9))!;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(0).replace('e+', 'e');
  return String(+v.toPrecision(3));
}

function clean(v: Value | undefined): Value {
  return v === undefined || v === null || !Number.isFinite(v) ? null : v;
}
