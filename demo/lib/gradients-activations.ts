// The vanishing-gradients lab's view of the mechanism: each hidden layer's pre-activation histogram as one row of a
// ridge plot, with its dead (ReLU), inactive (Leaky ReLU) or saturated (sigmoid, tanh) fraction, and a sentence
// naming the measured cause.
import type { ActivationLayerStats } from '../../src/index.js';
import { reference } from '../../src/index.js';
import type { ActivationChoice } from './gradients-model.js';

export type Cause = 'dead' | 'inactive' | 'saturated' | 'healthy';

/** Per layer, input side first: the fractions the page shows and its tests read. */
export interface LayerFractions {
  /** ReLU units with z <= 0 for every example of the batch (0 under Leaky ReLU, whose slope keeps them learning). */
  dead: number[];
  /** The same count under ReLU or Leaky ReLU: units whose input is negative for every example. */
  inactive: number[];
  saturated: number[];
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

export function fractions(acts: readonly ActivationLayerStats[], activation: ActivationChoice): LayerFractions {
  return {
    dead: acts.map((a) => (activation === 'relu' ? a.dead : 0)),
    inactive: acts.map((a) => a.dead),
    saturated: acts.map((a) => a.saturated),
  };
}

/** The sentence naming the cause, from the worst layer's measured fraction. */
export function explainActivations(acts: readonly ActivationLayerStats[], activation: ActivationChoice): { text: string; cause: Cause } {
  const sat = activation === 'sigmoid' || activation === 'tanh';
  const values = acts.map((a) => (sat ? a.saturated : a.dead));
  const worst = values.indexOf(Math.max(...values));
  const v = values[worst] ?? 0;
  const layer = `layer ${worst + 1}`;
  if (v < 0.2) {
    const what = sat ? 'saturated' : 'inactive for the whole batch';
    // Unsaturated sigmoid still scales the gradient by at most 1/4 per layer: name that rather than call it healthy.
    const slope = activation === 'sigmoid' ? " Even so, sigmoid's slope is at most 1/4, so every layer shrinks the gradient on its way back." : '';
    return {
      text: `No layer is starved by its activation: at most ${pct(v)} of a layer's ${sat ? 'pre-activations are' : 'units are'} ${what}.${slope}`,
      cause: 'healthy',
    };
  }
  if (sat) {
    const limit = reference.saturationThreshold(activation).toFixed(1);
    return {
      text: `${pct(v)} of ${layer}'s pre-activations are saturated (|z| > ${limit}, where ${activation}' is below 1% of its peak): the gradient through them nearly vanishes. A smaller initialisation or normalisation keeps z near 0.`,
      cause: 'saturated',
    };
  }
  if (activation === 'leaky_relu') {
    return {
      text: `${pct(v)} of ${layer}'s units have negative inputs for every example, yet none is dead: Leaky ReLU keeps a slope there, so their gradient is small but not zero and they can recover.`,
      cause: 'inactive',
    };
  }
  return {
    text: `${pct(v)} of ${layer}'s units are dead: their inputs are negative for every example, so they pass no gradient and never recover; Leaky ReLU keeps a slope there.`,
    cause: 'dead',
  };
}

const { HIST_MAX, HIST_MIN, HIST_BINS } = reference;
const BIN_WIDTH = (HIST_MAX - HIST_MIN) / HIST_BINS;

/** One row per hidden layer: the histogram of z over [-8, 8], scaled to its own peak, rows overlapping slightly. */
export class RidgePlot {
  private readonly canvas = document.createElement('canvas');

  constructor(private readonly host: HTMLElement) {
    this.canvas.setAttribute('role', 'img');
    host.append(this.canvas);
  }

  draw(acts: readonly ActivationLayerStats[], activation: ActivationChoice): void {
    const f = fractions(acts, activation);
    const sat = activation === 'sigmoid' || activation === 'tanh';
    const rowH = Math.max(6, Math.min(22, 320 / Math.max(1, acts.length)));
    const [left, right, top, bottom] = [34, 62, 14, 22];
    const width = Math.max(240, this.host.clientWidth);
    const height = top + bottom + rowH * acts.length + rowH;
    const dpr = globalThis.devicePixelRatio ?? 1;
    Object.assign(this.canvas, { width: Math.round(width * dpr), height: Math.round(height * dpr) });
    Object.assign(this.canvas.style, { width: `${width}px`, height: `${height}px` });
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const plotW = width - left - right;
    const xOf = (z: number) => left + ((z - HIST_MIN) / (HIST_MAX - HIST_MIN)) * plotW;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#667';
    ctx.textAlign = 'center';
    for (const z of [-8, -4, 0, 4, 8]) ctx.fillText(String(z), xOf(z), height - 6);
    // Where the activation stops passing gradient: z = 0 for ReLU-like, |z| beyond the saturation threshold.
    ctx.strokeStyle = '#c9cde0';
    const guides = sat ? [-1, 1].map((k) => k * reference.saturationThreshold(activation)) : [0];
    for (const g of guides) {
      ctx.beginPath();
      ctx.moveTo(xOf(g), top);
      ctx.lineTo(xOf(g), height - bottom);
      ctx.stroke();
    }
    acts.forEach((a, l) => {
      const base = top + rowH * (l + 2);
      const total = a.histogram.reduce((s, c) => s + c, 0);
      const peak = Math.max(1, ...a.histogram);
      const share = sat ? f.saturated[l]! : f.inactive[l]!;
      const bad = share >= 0.2;
      ctx.beginPath();
      ctx.moveTo(xOf(HIST_MIN), base);
      a.histogram.forEach((c, k) => {
        const y = base - (c / peak) * rowH * 1.8;
        ctx.lineTo(xOf(HIST_MIN + k * BIN_WIDTH), y);
        ctx.lineTo(xOf(HIST_MIN + (k + 1) * BIN_WIDTH), y);
      });
      ctx.lineTo(xOf(HIST_MAX), base);
      ctx.closePath();
      ctx.fillStyle = total === 0 ? '#eee' : bad ? 'rgba(214, 69, 65, 0.55)' : 'rgba(49, 87, 213, 0.45)';
      ctx.strokeStyle = '#fff';
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = '#445';
      ctx.textAlign = 'right';
      if (acts.length <= 24 || l % 2 === 0) ctx.fillText(String(l + 1), left - 6, base);
      ctx.textAlign = 'left';
      const label = sat ? 'sat.' : activation === 'relu' ? 'dead' : 'inact.';
      ctx.fillStyle = bad ? '#b3261e' : '#556';
      if (acts.length <= 24 || l % 2 === 0) ctx.fillText(`${pct(share)} ${label}`, width - right + 6, base);
    });
    this.canvas.setAttribute('aria-label', `Pre-activation histograms of ${acts.length} layers`);
  }
}
