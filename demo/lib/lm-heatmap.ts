// The attention weights of one head as a T x T heat map: row i is the query at position i, column j the key at j,
// darker where position i puts more weight on j. Cells above the diagonal (the future, masked) are left empty:
// not painted at all, transparent. Hovering a cell names both characters and the weight.
// For tests: data-t, data-cell, data-left, data-top (cell geometry in canvas pixels), data-draws, data-upper-max
// (largest weight above the diagonal, 0 for a causal head).

/** How a character shows on an axis or in the readout: visible stand-ins for a newline and a space. */
export const showChar = (c: string): string => (c === '\n' ? '⏎' : c === ' ' ? '␣' : c);

export class AttentionHeatmap {
  private chars: string[] = [];
  private P: Float64Array | null = null;
  private cell = 0;
  private left = 0;
  private top = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly readout: HTMLElement,
    /** Largest canvas side in pixels. */
    private readonly size = 400,
  ) {
    canvas.addEventListener('mousemove', (e) => this.hover(e));
    canvas.addEventListener('mouseleave', () => (this.readout.textContent = 'Point at a cell to read its weight.'));
  }

  /** Draw P [T, T] (rows summing to 1) over the sample's characters (T of them). */
  show(P: Float64Array, chars: string[]): void {
    const T = chars.length;
    if (P.length !== T * T) throw new Error(`heat map: expected ${T * T} weights for ${T} characters, got ${P.length}`);
    this.P = P;
    this.chars = chars;
    const labelled = Math.floor((this.size - 16) / T) >= 10;
    const margin = labelled ? 16 : 0;
    this.cell = Math.max(3, Math.floor((this.size - margin) / T));
    this.left = this.top = margin;
    const c = this.canvas;
    c.width = c.height = margin + this.cell * T;
    const g = c.getContext('2d')!;
    g.clearRect(0, 0, c.width, c.height);
    let upper = 0;
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const p = P[i * T + j]!;
        if (j > i) {
          upper = Math.max(upper, p);
          if (p === 0) continue;
        }
        g.fillStyle = color(p);
        g.fillRect(this.left + j * this.cell, this.top + i * this.cell, this.cell, this.cell);
      }
    }
    if (labelled) {
      g.fillStyle = '#475569';
      g.font = `${Math.min(12, this.cell)}px ui-monospace, monospace`;
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      chars.forEach((ch, t) => {
        const mid = margin + (t + 0.5) * this.cell;
        g.fillText(showChar(ch), mid, margin / 2);
        g.fillText(showChar(ch), margin / 2, mid);
      });
    }
    Object.assign(c.dataset, { t: String(T), cell: String(this.cell), left: String(this.left), top: String(this.top), upperMax: String(upper) });
    c.dataset.draws = String(Number(c.dataset.draws ?? 0) + 1);
  }

  private hover(e: MouseEvent): void {
    if (!this.P) return;
    const r = this.canvas.getBoundingClientRect();
    const sx = this.canvas.width / r.width;
    const j = Math.floor(((e.clientX - r.left) * sx - this.left) / this.cell);
    const i = Math.floor(((e.clientY - r.top) * sx - this.top) / this.cell);
    const T = this.chars.length;
    if (i < 0 || j < 0 || i >= T || j >= T) return;
    const q = `‘${showChar(this.chars[i]!)}’ at ${i}`;
    const k = `‘${showChar(this.chars[j]!)}’ at ${j}`;
    this.readout.textContent =
      j > i ? `${q} cannot see ${k}: it comes later (masked).` : `${q} puts ${(100 * this.P[i * T + j]!).toFixed(1)}% of its attention on ${k}.`;
  }
}

/**
 * Pale grey-blue at 0 (so a visible key with no weight still reads as part of the triangle, unlike the empty
 * masked cells) to deep blue at 1, on a square-root scale so that small but real weights still show.
 */
function color(p: number): string {
  const s = Math.sqrt(Math.min(1, Math.max(0, p)));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * s);
  return `rgb(${mix(234, 30)}, ${mix(239, 58)}, ${mix(246, 138)})`;
}
