// The decision boundary of a 2-D classifier: the network's prediction on a grid over the data, each cell
// tinted by its class with the softmax confidence, smoothly upscaled, with the data points on top.
import type { Dataset } from '../../src/index.js';
import { CLASS_COLORS } from './train-models.js';

export class BoundaryView {
  /** The grid's points, row by row from the top: `res * res` rows of (x, y), for net.predict. */
  readonly grid: Float32Array;
  private readonly cells: HTMLCanvasElement;
  private readonly cellCtx: CanvasRenderingContext2D;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly lo: [number, number];
  private readonly span: number;
  /** Redraws so far (for tests: data-draws on the canvas). */
  draws = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly data: Dataset,
    readonly res = 64,
  ) {
    this.ctx = canvas.getContext('2d')!;
    this.cells = document.createElement('canvas');
    this.cells.width = this.cells.height = res;
    this.cellCtx = this.cells.getContext('2d')!;
    // A square window around the data with a margin, so shapes are not stretched.
    const x = data.x;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < data.n; i++) {
      x0 = Math.min(x0, x[2 * i]!);
      x1 = Math.max(x1, x[2 * i]!);
      y0 = Math.min(y0, x[2 * i + 1]!);
      y1 = Math.max(y1, x[2 * i + 1]!);
    }
    this.span = Math.max(x1 - x0, y1 - y0) * 1.15;
    this.lo = [(x0 + x1) / 2 - this.span / 2, (y0 + y1) / 2 - this.span / 2];
    this.grid = new Float32Array(res * res * 2);
    for (let r = 0; r < res; r++) {
      for (let c = 0; c < res; c++) {
        const i = r * res + c;
        this.grid[2 * i] = this.lo[0] + ((c + 0.5) / res) * this.span;
        this.grid[2 * i + 1] = this.lo[1] + (1 - (r + 0.5) / res) * this.span;
      }
    }
  }

  /** Draw the background from the grid's logits (null: no prediction yet) and the points over it. */
  draw(logits: Float32Array | null): void {
    const { ctx, canvas, res } = this;
    const k = this.data.classes;
    const img = this.cellCtx.createImageData(res, res);
    for (let i = 0; i < res * res; i++) {
      let rgb: [number, number, number] = [246, 247, 249];
      if (logits) {
        // Softmax confidence of the winning class, from 1/k (no idea) to 1 (certain).
        let best = 0;
        let max = -Infinity;
        for (let j = 0; j < k; j++) {
          const v = logits[i * k + j]!;
          if (v > max) [max, best] = [v, j];
        }
        let sum = 0;
        for (let j = 0; j < k; j++) sum += Math.exp(logits[i * k + j]! - max);
        const conf = (1 / sum - 1 / k) / (1 - 1 / k);
        const t = 0.18 + 0.42 * Math.max(0, Math.min(1, conf));
        const c = CLASS_COLORS[best % CLASS_COLORS.length]!;
        rgb = [255 + (c[0] - 255) * t, 255 + (c[1] - 255) * t, 255 + (c[2] - 255) * t];
      }
      img.data[4 * i] = rgb[0];
      img.data[4 * i + 1] = rgb[1];
      img.data[4 * i + 2] = rgb[2];
      img.data[4 * i + 3] = 255;
    }
    this.cellCtx.putImageData(img, 0, 0);
    const W = canvas.width;
    const H = canvas.height;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(this.cells, 0, 0, W, H);
    // The points: class colour, white rim, so they read on any background.
    const r = Math.max(2.5, W / 110);
    const { x, y } = this.data;
    ctx.lineWidth = Math.max(1, r / 2.5);
    ctx.strokeStyle = '#fff';
    for (let i = 0; i < this.data.n; i++) {
      const px = ((x[2 * i]! - this.lo[0]) / this.span) * W;
      const py = (1 - (x[2 * i + 1]! - this.lo[1]) / this.span) * H;
      const c = CLASS_COLORS[y[i]! % CLASS_COLORS.length]!;
      ctx.fillStyle = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
      ctx.beginPath();
      ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    this.draws++;
    canvas.dataset.draws = String(this.draws);
  }
}
