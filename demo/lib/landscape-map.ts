// The contour map of a surface on a canvas: filled bands at log-scaled levels with their boundary lines, axes
// with ticks, a colour bar of f, and an overlay canvas for the optimizers' paths.
import { surfaceValue } from '../../src/index.js';
import { SIGNED_RAMP, SURFACE_RAMP, css, fmt, niceTicks, ramp } from './landscape-colors.js';
import { levelOf, type SurfaceInfo } from './landscape-surfaces.js';

/** Margins around the plot in CSS pixels; the bottom one holds the x axis and the colour bar. */
const M = { left: 46, right: 14, top: 10, axis: 34, bar: 46 };
const BANDS = 22;

export interface DrawnPath {
  color: string;
  xy: Float32Array;
  valid: number;
  diverged: boolean;
}

export class LandscapeMap {
  readonly base: HTMLCanvasElement;
  readonly overlay: HTMLCanvasElement;
  private surface: SurfaceInfo | null = null;
  private plot = 0;
  private dpr = 1;
  private levels: { lo: number; hi: number } = { lo: 0, hi: 1 };

  constructor(private readonly wrap: HTMLElement) {
    this.base = document.createElement('canvas');
    this.base.className = 'map-base';
    this.base.setAttribute('aria-hidden', 'true');
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'map-overlay';
    this.overlay.setAttribute('role', 'img');
    wrap.append(this.base, this.overlay);
  }

  setSurface(s: SurfaceInfo): void {
    this.surface = s;
    this.layout();
  }

  /** Size the canvases to the container's width and redraw the contours. */
  layout(): void {
    const s = this.surface;
    if (!s) return;
    const width = Math.max(240, Math.floor(this.wrap.clientWidth));
    this.plot = width - M.left - M.right;
    const height = M.top + this.plot + M.axis + M.bar;
    this.dpr = Math.min(2, window.devicePixelRatio || 1);
    for (const c of [this.base, this.overlay]) {
      c.width = Math.round(width * this.dpr);
      c.height = Math.round(height * this.dpr);
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    this.wrap.style.height = `${height}px`;
    // Where the plot lies on the canvas, in CSS pixels, and what it shows (for tests and tools).
    Object.assign(this.overlay.dataset, { plotLeft: String(M.left), plotTop: String(M.top), plotSize: String(this.plot), x: s.x.join(','), y: s.y.join(',') });
    this.drawBase(s);
    this.overlay.setAttribute('aria-label', `Contour map of ${s.formula}; click to start the optimizers there`);
  }

  /** Data coordinates of a point given in client pixels, or null outside the plot. */
  toData(clientX: number, clientY: number): [number, number] | null {
    const s = this.surface;
    if (!s) return null;
    const r = this.overlay.getBoundingClientRect();
    const u = (clientX - r.left - M.left) / this.plot;
    const v = (clientY - r.top - M.top) / this.plot;
    if (u < 0 || u > 1 || v < 0 || v > 1) return null;
    return [s.x[0] + u * (s.x[1] - s.x[0]), s.y[1] - v * (s.y[1] - s.y[0])];
  }

  /** CSS-pixel position of a data point on the canvas. */
  private toPixel(x: number, y: number): [number, number] {
    const s = this.surface!;
    return [M.left + ((x - s.x[0]) / (s.x[1] - s.x[0])) * this.plot, M.top + ((s.y[1] - y) / (s.y[1] - s.y[0])) * this.plot];
  }

  private drawBase(s: SurfaceInfo): void {
    const ctx = this.base.getContext('2d')!;
    const d = this.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.base.width, this.base.height);
    const n = Math.round(this.plot * d);
    // f at every device pixel of the plot, as a contour level.
    const lv = new Float32Array(n * n);
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < n; j++) {
      const y = s.y[1] - ((j + 0.5) / n) * (s.y[1] - s.y[0]);
      for (let i = 0; i < n; i++) {
        const x = s.x[0] + ((i + 0.5) / n) * (s.x[1] - s.x[0]);
        const l = levelOf(s, surfaceValue(s.name, x, y));
        lv[j * n + i] = l;
        if (l < lo) lo = l;
        if (l > hi) hi = l;
      }
    }
    if (s.signed) {
      const m = Math.max(Math.abs(lo), Math.abs(hi));
      [lo, hi] = [-m, m];
    }
    this.levels = { lo, hi };
    const stops = s.signed ? SIGNED_RAMP : SURFACE_RAMP;
    const band = (l: number) => Math.min(BANDS - 1, Math.max(0, Math.floor(((l - lo) / (hi - lo)) * BANDS)));
    const colors = Array.from({ length: BANDS }, (_, b) => ramp(stops, (b + 0.5) / BANDS));
    const img = ctx.createImageData(n, n);
    const px = img.data;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const b = band(lv[j * n + i]!);
        // A band boundary between this pixel and its right or lower neighbour is a contour line.
        const edge = (i + 1 < n && band(lv[j * n + i + 1]!) !== b) || (j + 1 < n && band(lv[(j + 1) * n + i]!) !== b);
        const c = colors[b]!;
        const k = edge ? 0.68 : 1;
        const o = 4 * (j * n + i);
        px[o] = c[0] * k;
        px[o + 1] = c[1] * k;
        px[o + 2] = c[2] * k;
        px[o + 3] = 255;
      }
    }
    ctx.putImageData(img, Math.round(M.left * d), Math.round(M.top * d));
    ctx.setTransform(d, 0, 0, d, 0, 0);
    this.drawAxes(ctx, s);
    this.drawColorBar(ctx, s, stops);
  }

  private drawAxes(ctx: CanvasRenderingContext2D, s: SurfaceInfo): void {
    const p = this.plot;
    ctx.strokeStyle = '#9aa4b2';
    ctx.lineWidth = 1;
    ctx.strokeRect(M.left - 0.5, M.top - 0.5, p + 1, p + 1);
    ctx.fillStyle = '#3c4655';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(s.x[0], s.x[1], 8)) {
      const [x] = this.toPixel(t, 0);
      ctx.fillRect(Math.round(x) - 0.5, M.top + p, 1, 5);
      ctx.fillText(fmt(t), x, M.top + p + 7);
    }
    ctx.fillText('x', M.left + p / 2, M.top + p + 20);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of niceTicks(s.y[0], s.y[1], 8)) {
      const [, y] = this.toPixel(0, t);
      ctx.fillRect(M.left - 5, Math.round(y) - 0.5, 5, 1);
      ctx.fillText(fmt(t), M.left - 8, y);
    }
    ctx.save();
    ctx.translate(12, M.top + p / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('y', 0, 0);
    ctx.restore();
  }

  /** A horizontal bar of the bands with f values at round numbers. */
  private drawColorBar(ctx: CanvasRenderingContext2D, s: SurfaceInfo, stops: typeof SURFACE_RAMP): void {
    const { lo, hi } = this.levels;
    const x0 = M.left;
    const w = this.plot;
    const y0 = M.top + this.plot + M.axis + 6;
    for (let b = 0; b < BANDS; b++) {
      ctx.fillStyle = css(ramp(stops, (b + 0.5) / BANDS));
      ctx.fillRect(x0 + (b / BANDS) * w, y0, w / BANDS + 0.5, 10);
    }
    ctx.strokeStyle = '#9aa4b2';
    ctx.strokeRect(x0 - 0.5, y0 - 0.5, w + 1, 11);
    const values: number[] = [];
    if (s.signed) {
      for (let e = -3; e <= 6; e++) values.push(-(10 ** e), 10 ** e);
      values.push(0);
    } else {
      values.push(0);
      for (let e = -4; e <= 8; e++) values.push(10 ** e);
    }
    ctx.fillStyle = '#3c4655';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    let lastX = -Infinity;
    const placed = values
      .map((v) => ({ v, x: x0 + ((levelOf(s, v) - lo) / (hi - lo)) * w }))
      .filter((t) => t.x >= x0 - 0.5 && t.x <= x0 + w + 0.5)
      .sort((a, b) => a.x - b.x);
    for (const t of placed) {
      if (t.x - lastX < 34) continue;
      lastX = t.x;
      ctx.fillRect(Math.round(t.x) - 0.5, y0 + 10, 1, 4);
      ctx.fillText(fmt(t.v, 1), t.x, y0 + 15);
    }
    ctx.textAlign = 'left';
    ctx.fillText('f (log scale)', x0, y0 + 29);
  }

  /** Paths up to step `upTo`, the start point and the minima. */
  drawOverlay(paths: readonly DrawnPath[], upTo: number, start: [number, number]): void {
    const s = this.surface;
    if (!s) return;
    const ctx = this.overlay.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(M.left, M.top, this.plot, this.plot);
    ctx.clip();
    for (const [mx, my] of s.minima) this.marker(ctx, mx, my);
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    for (const p of paths) {
      const last = Math.min(upTo, p.valid - 1);
      if (last < 0) continue;
      ctx.beginPath();
      for (let k = 0; k <= last; k++) {
        const [x, y] = this.toPixel(p.xy[3 * k]!, p.xy[3 * k + 1]!);
        if (k === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.strokeStyle = 'rgba(8, 12, 24, 0.7)';
      ctx.lineWidth = 4.5;
      ctx.stroke();
      ctx.strokeStyle = p.color;
      ctx.lineWidth = 2.2;
      ctx.stroke();
      const [hx, hy] = this.toPixel(p.xy[3 * last]!, p.xy[3 * last + 1]!);
      if (p.diverged && upTo >= p.valid - 1) this.cross(ctx, hx, hy, p.color);
      else this.dot(ctx, hx, hy, p.color);
    }
    const [sx, sy] = this.toPixel(start[0], start[1]);
    ctx.beginPath();
    ctx.arc(sx, sy, 6, 0, 2 * Math.PI);
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(8, 12, 24, 0.8)';
    ctx.stroke();
    ctx.lineWidth = 1.6;
    ctx.strokeStyle = '#fff';
    ctx.stroke();
    ctx.restore();
  }

  private dot(ctx: CanvasRenderingContext2D, x: number, y: number, color: string): void {
    ctx.beginPath();
    ctx.arc(x, y, 4.5, 0, 2 * Math.PI);
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = 'rgba(8, 12, 24, 0.85)';
    ctx.stroke();
  }

  /** Where a path diverged: a cross, kept inside the plot so it stays visible. */
  private cross(ctx: CanvasRenderingContext2D, x: number, y: number, color: string): void {
    const cx = Math.min(M.left + this.plot - 8, Math.max(M.left + 8, x));
    const cy = Math.min(M.top + this.plot - 8, Math.max(M.top + 8, y));
    ctx.beginPath();
    ctx.moveTo(cx - 6, cy - 6);
    ctx.lineTo(cx + 6, cy + 6);
    ctx.moveTo(cx + 6, cy - 6);
    ctx.lineTo(cx - 6, cy + 6);
    ctx.lineWidth = 5;
    ctx.strokeStyle = 'rgba(8, 12, 24, 0.85)';
    ctx.stroke();
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = color;
    ctx.stroke();
  }

  /** A minimum: a small white star. */
  private marker(ctx: CanvasRenderingContext2D, x: number, y: number): void {
    const [px, py] = this.toPixel(x, y);
    ctx.save();
    ctx.translate(px, py);
    ctx.beginPath();
    for (let i = 0; i < 10; i++) {
      const r = i % 2 === 0 ? 7 : 3;
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      if (i === 0) ctx.moveTo(r * Math.cos(a), r * Math.sin(a));
      else ctx.lineTo(r * Math.cos(a), r * Math.sin(a));
    }
    ctx.closePath();
    ctx.fillStyle = 'rgba(255, 255, 255, 0.9)';
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = 'rgba(8, 12, 24, 0.8)';
    ctx.stroke();
    ctx.restore();
  }
}
