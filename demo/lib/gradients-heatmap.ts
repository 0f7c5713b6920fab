// A layer-by-step heat map of gradient norms on a canvas: one row per weight tensor (input side at the top),
// one column per step (binned once the run is wider than the canvas), log colour scale with its legend.
import { HEAT_RAMP, css, fmt, niceTicks, ramp } from './landscape-colors.js';

/** The colour scale covers 1e-10 .. 10; anything outside is clamped (0 counts as below). */
export const LOG_RANGE: [number, number] = [-10, 1];
const M = { left: 40, right: 12, top: 8, axis: 30 };
/** The x axis spans at least this many steps, so early steps are not stretched across the whole width. */
const MIN_SPAN = 200;

export class Heatmap {
  readonly canvas: HTMLCanvasElement;
  private rows: string[] = [];
  private history: Float32Array[] = [];
  private dpr = 1;
  private width = 0;
  private height = 0;
  private readonly palette: [number, number, number][] = Array.from({ length: 256 }, (_, i) => ramp(HEAT_RAMP, i / 255));

  constructor(private readonly wrap: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Gradient norm of each layer over the training steps, log colour scale');
    wrap.append(this.canvas);
  }

  /** A new network: its layer labels, input side first; the history starts empty. */
  setRows(labels: string[]): void {
    this.rows = labels;
    this.history = [];
    this.layout();
  }

  push(norms: Float32Array): void {
    this.history.push(norms);
  }

  get steps(): number {
    return this.history.length;
  }

  layout(): void {
    this.width = Math.max(260, Math.floor(this.wrap.clientWidth));
    this.height = Math.round(Math.min(250, Math.max(180, this.width * 0.3))) + M.axis + this.legendHeight();
    this.dpr = Math.min(2, window.devicePixelRatio || 1);
    this.canvas.width = Math.round(this.width * this.dpr);
    this.canvas.height = Math.round(this.height * this.dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.draw();
  }

  draw(): void {
    const ctx = this.canvas.getContext('2d')!;
    const d = this.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const pw = this.width - M.left - M.right;
    const ph = this.height - M.top - M.axis - this.legendHeight();
    const W = Math.round(pw * d);
    const H = Math.round(ph * d);
    const n = this.history.length;
    const span = Math.max(MIN_SPAN, n);
    const L = Math.max(1, this.rows.length);
    const img = ctx.createImageData(W, H);
    const px = img.data;
    const [lo, hi] = LOG_RANGE;
    const empty = [236, 239, 243];
    for (let c = 0; c < W; c++) {
      // The step at the centre of this pixel column (nearest neighbour once there are more steps than pixels).
      const s = Math.floor(((c + 0.5) / W) * span);
      const col = s < n ? this.history[s]! : null;
      for (let r = 0; r < H; r++) {
        const layer = Math.min(L - 1, Math.floor((r / H) * L));
        let rgb: number[] = empty;
        if (col) {
          const v = col[layer]!;
          const t = v > 0 ? (Math.log10(v) - lo) / (hi - lo) : 0;
          rgb = this.palette[Math.round(Math.min(1, Math.max(0, t)) * 255)]!;
        }
        const o = 4 * (r * W + c);
        px[o] = rgb[0]!;
        px[o + 1] = rgb[1]!;
        px[o + 2] = rgb[2]!;
        px[o + 3] = 255;
      }
    }
    ctx.putImageData(img, Math.round(M.left * d), Math.round(M.top * d));
    ctx.setTransform(d, 0, 0, d, 0, 0);
    this.axes(ctx, pw, ph, span, L);
    this.legend(ctx, pw, ph);
  }

  private axes(ctx: CanvasRenderingContext2D, pw: number, ph: number, span: number, L: number): void {
    ctx.strokeStyle = '#9aa4b2';
    ctx.lineWidth = 1;
    ctx.strokeRect(M.left - 0.5, M.top - 0.5, pw + 1, ph + 1);
    ctx.fillStyle = '#3c4655';
    ctx.font = '11.5px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const rowH = ph / L;
    const every = Math.max(1, Math.ceil(14 / rowH));
    this.rows.forEach((label, i) => {
      if (i % every !== 0 && i !== L - 1) return;
      if (i === L - 1 && i % every !== 0 && rowH * (i % every) < 12) return;
      ctx.fillText(label, M.left - 6, M.top + (i + 0.5) * rowH);
    });
    ctx.save();
    ctx.translate(10, M.top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('layer (input at top)', 0, 0);
    ctx.restore();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(0, span, 6)) {
      const x = M.left + (t / span) * pw;
      ctx.fillRect(Math.round(x) - 0.5, M.top + ph, 1, 4);
      ctx.fillText(String(t), x, M.top + ph + 6);
    }
    ctx.fillText('step', M.left + pw / 2, M.top + ph + 18);
  }

  /** On a narrow canvas the legend's title goes under the bar instead of beside it. */
  private narrow(): boolean {
    return this.width - M.left - M.right < 480;
  }

  private legendHeight(): number {
    return this.narrow() ? 54 : 40;
  }

  private legend(ctx: CanvasRenderingContext2D, pw: number, ph: number): void {
    const y = M.top + ph + M.axis + 8;
    const narrow = this.narrow();
    const w = narrow ? pw : Math.min(360, pw);
    const x0 = M.left + pw - w;
    const [lo, hi] = LOG_RANGE;
    for (let i = 0; i < w; i++) {
      ctx.fillStyle = css(ramp(HEAT_RAMP, i / (w - 1)));
      ctx.fillRect(x0 + i, y, 1.5, 10);
    }
    ctx.strokeStyle = '#9aa4b2';
    ctx.strokeRect(x0 - 0.5, y - 0.5, w + 1, 11);
    ctx.fillStyle = '#3c4655';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    for (let e = lo; e <= hi; e += 2) {
      const x = x0 + ((e - lo) / (hi - lo)) * w;
      ctx.fillRect(Math.round(x) - 0.5, y + 10, 1, 3);
      ctx.fillText(e === lo ? `≤${fmt(10 ** e, 1)}` : e === 0 ? '1' : fmt(10 ** e, 1), x, y + 14);
    }
    if (narrow) {
      ctx.textAlign = 'left';
      ctx.fillText('‖∇W‖, log colour scale', x0, y + 30);
    } else {
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText('‖∇W‖ (log scale)', x0 - 10, y + 5);
    }
  }
}
