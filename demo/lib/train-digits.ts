// MNIST views for the Train lab: a grid of test digits with the network's predictions, a pad to draw a
// digit on (downsampled to 28x28 the way MNIST was made), and the ten class probabilities as bars.
import type { Dataset } from '../../src/index.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Softmax of one row of logits. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

const argmax = (a: ArrayLike<number>, from = 0, n = a.length): number => {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[from + i]! > a[from + best]!) best = i;
  return best;
};

/** Paint 784 values in [0, 1] (white on black) into a 28x28 canvas. */
function paintDigit(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, from = 0): void {
  canvas.width = canvas.height = SIDE;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < PIXELS; i++) {
    const v = Math.round(255 * Math.max(0, Math.min(1, pixels[from + i]!)));
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

/** The first `count` digits of a test set, each with the label the network predicts for it. */
export class DigitGrid {
  readonly inputs: Float32Array;
  private readonly labels: HTMLElement[] = [];
  private readonly cells: HTMLElement[] = [];

  constructor(
    readonly container: HTMLElement,
    readonly test: Dataset,
    readonly count = 24,
  ) {
    this.inputs = test.x.slice(0, count * PIXELS);
    container.replaceChildren();
    for (let i = 0; i < count; i++) {
      const cell = document.createElement('figure');
      cell.className = 'digit';
      const c = document.createElement('canvas');
      paintDigit(c, this.inputs, i * PIXELS);
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', `test digit ${i + 1}, a ${test.y[i]}`);
      const cap = document.createElement('figcaption');
      cap.textContent = '·';
      cell.append(c, cap);
      container.append(cell);
      this.cells.push(cell);
      this.labels.push(cap);
    }
    container.dataset.predicted = '0';
  }

  /** Show the predictions from the grid's logits (count rows of 10): green when right, red when wrong. */
  show(logits: Float32Array): void {
    let correct = 0;
    for (let i = 0; i < this.count; i++) {
      const p = argmax(logits, i * 10, 10);
      const truth = this.test.y[i]!;
      const ok = p === truth;
      if (ok) correct++;
      this.labels[i]!.textContent = String(p);
      this.cells[i]!.className = `digit ${ok ? 'digit-right' : 'digit-wrong'}`;
      this.cells[i]!.title = ok ? `predicted ${p}, correct` : `predicted ${p}, it is a ${truth}`;
    }
    this.container.dataset.predicted = String(this.count);
    this.container.dataset.correct = String(correct);
  }
}

/** A canvas to draw a digit on with mouse, pen or finger: white strokes on black. */
export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: [number, number] | null = null;
  /** Strokes since the last clear. */
  strokes = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    /** Called while drawing (`done` false, throttled by the caller) and when a stroke ends. */
    private readonly onChange: (done: boolean) => void,
  ) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.line(this.last, this.last);
      this.onChange(false);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      for (const ev of e.getCoalescedEvents?.() ?? [e]) {
        const p = this.point(ev);
        this.line(this.last, p);
        this.last = p;
      }
      this.onChange(false);
    });
    const end = (): void => {
      if (!this.last) return;
      this.last = null;
      this.strokes++;
      this.onChange(true);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = 0;
  }

  private point(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * this.canvas.width, ((e.clientY - r.top) / r.height) * this.canvas.height];
  }

  private line(a: [number, number], b: [number, number]): void {
    const ctx = this.ctx;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 12;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }

  /**
   * The drawing as an MNIST input, or null when the pad is empty: like MNIST's preprocessing, the ink's
   * bounding box is scaled (area-averaged) to fit 20x20, keeping its aspect ratio, then placed in 28x28 with
   * its centre of mass at the centre. White on black, values in [0, 1].
   */
  toInput(): Float32Array | null {
    const { width: W, height: H } = this.canvas;
    const src = this.ctx.getImageData(0, 0, W, H).data;
    let [x0, x1, y0, y1] = [W, -1, H, -1];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (src[4 * (y * W + x)]! > 12) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 < 0) return null;
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const s = 20 / Math.max(bw, bh);
    const ox = (SIDE - bw * s) / 2;
    const oy = (SIDE - bh * s) / 2;
    const box = new Float32Array(PIXELS);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const v = src[4 * (y * W + x)]! / 255;
        if (v === 0) continue;
        const tx = Math.min(SIDE - 1, Math.floor(ox + (x - x0 + 0.5) * s));
        const ty = Math.min(SIDE - 1, Math.floor(oy + (y - y0 + 0.5) * s));
        box[ty * SIDE + tx]! += v * s * s;
      }
    }
    // Shift so the centre of mass sits at the centre, as far as the box allows.
    let [m, mx, my] = [0, 0, 0];
    for (let i = 0; i < PIXELS; i++) {
      const v = Math.min(1, box[i]!);
      box[i] = v;
      m += v;
      mx += v * ((i % SIDE) + 0.5);
      my += v * (Math.floor(i / SIDE) + 0.5);
    }
    const dx = Math.round(SIDE / 2 - mx / m);
    const dy = Math.round(SIDE / 2 - my / m);
    const out = new Float32Array(PIXELS);
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const sx = x - dx;
        const sy = y - dy;
        if (sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE) out[y * SIDE + x] = box[sy * SIDE + sx]!;
      }
    }
    return out;
  }
}

/** Show a 28x28 input (what the network sees). */
export function showInput(canvas: HTMLCanvasElement, input: Float32Array | null): void {
  paintDigit(canvas, input ?? new Float32Array(PIXELS));
}

/** Ten labelled bars for the class probabilities; the most probable is highlighted. */
export class ProbabilityBars {
  private readonly bars: HTMLElement[] = [];
  private readonly values: HTMLElement[] = [];
  private readonly rows: HTMLElement[] = [];

  constructor(readonly container: HTMLElement) {
    container.replaceChildren();
    for (let d = 0; d < 10; d++) {
      const row = document.createElement('div');
      row.className = 'prob';
      row.setAttribute('role', 'meter');
      row.setAttribute('aria-label', `probability of ${d}`);
      row.setAttribute('aria-valuemin', '0');
      row.setAttribute('aria-valuemax', '1');
      const label = document.createElement('span');
      label.className = 'prob-digit';
      label.textContent = String(d);
      const track = document.createElement('span');
      track.className = 'prob-track';
      const bar = document.createElement('span');
      bar.className = 'prob-bar';
      track.append(bar);
      const value = document.createElement('span');
      value.className = 'prob-value';
      row.append(label, track, value);
      container.append(row);
      this.rows.push(row);
      this.bars.push(bar);
      this.values.push(value);
    }
    this.show(null);
  }

  /** Probabilities (10, summing to 1), or null to clear. */
  show(p: Float32Array | null): void {
    const best = p ? argmax(p) : -1;
    for (let d = 0; d < 10; d++) {
      const v = p ? p[d]! : 0;
      this.bars[d]!.style.width = `${(100 * v).toFixed(1)}%`;
      this.values[d]!.textContent = p ? `${(100 * v).toFixed(1)}%` : '';
      this.rows[d]!.classList.toggle('prob-best', d === best);
      this.rows[d]!.setAttribute('aria-valuenow', v.toFixed(4));
    }
    const ds = this.container.dataset;
    if (p) {
      ds.probabilities = Array.from(p, (v) => v.toFixed(6)).join(',');
      ds.sum = p.reduce((a, b) => a + b, 0).toFixed(6);
      ds.predicted = String(best);
    } else {
      delete ds.probabilities;
      delete ds.sum;
      delete ds.predicted;
    }
  }
}
