// The vanishing-gradients lab's model: a deep stack of equal-width hidden layers (optionally normalised,
// optionally residual), the order of its weight tensors by depth, and a sentence that explains a set of
// per-layer gradient norms.
import {
  batchNorm,
  dense,
  layerNorm,
  moons,
  residual,
  sequential,
  spiral,
  type Dataset,
  type Layer,
  type Model,
  type Network,
  type TensorRecord,
} from '../../src/index.js';
import { fmt } from './landscape-colors.js';

export type ActivationChoice = 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu';
export type NormChoice = 'none' | 'layer' | 'batch';

export interface GradConfig {
  /** Hidden layers. */
  depth: number;
  width: number;
  activation: ActivationChoice;
  norm: NormChoice;
  residual: boolean;
  dataset: 'spiral' | 'moons';
  optimizer: 'sgd' | 'adam';
  /** Multiplies every hidden layer's initial weight scale (He for ReLU-like, Xavier otherwise). Default 1. */
  initScale?: number;
  /** Every hidden layer's initial bias (negative biases kill ReLUs). Default 0. */
  biasShift?: number;
}

export const DEPTH_RANGE = { min: 2, max: 40 } as const;
export const DEFAULT_LR: Record<GradConfig['optimizer'], number> = { sgd: 0.1, adam: 0.003 };

/** The training set: the 3-arm spiral or two moons. */
export function makeData(name: GradConfig['dataset']): Dataset {
  if (name === 'moons') return moons({ n: 256, noise: 0.15, seed: 3 });
  return spiral({ n: 300, classes: 3, seed: 7 });
}

/**
 * Hidden layer 1 maps the 2 inputs to `width`; layers 2..depth keep the width, so with residual connections each
 * of them becomes y = x + block(x), block = dense + activation (+ norm). Without normalisation, the dense layer
 * inside a residual block starts at 1/(depth − 1) of its usual scale: otherwise the sum of depth − 1 branches
 * blows up the forward pass of a deep ReLU net before training starts (the idea behind Fixup and SkipInit).
 */
export function buildModel(c: GradConfig, classes: number): Model {
  const norm = (): Layer[] => (c.norm === 'layer' ? [layerNorm()] : c.norm === 'batch' ? [batchNorm()] : []);
  const s = c.initScale ?? 1;
  const reluLike = c.activation === 'relu' || c.activation === 'leaky_relu';
  // He's std is sqrt(2 / fanIn); Xavier's uniform has std sqrt(2 / (fanIn + fanOut)). A scale other than 1
  // draws from a normal of that std times the scale.
  const scaled = (fanIn: number) => (s === 1 ? {} : { init: { normal: s * Math.sqrt(2 / (reluLike ? fanIn : fanIn + c.width)) } });
  const layers: (Layer | Layer[])[] = [dense(c.width, { activation: c.activation, ...scaled(2) }), ...norm()];
  const blocks = c.depth - 1;
  const gain = reluLike ? Math.SQRT2 : 1;
  for (let i = 1; i < c.depth; i++) {
    if (c.residual) {
      const init = c.norm === 'none' ? { init: { normal: (s * gain) / (Math.sqrt(c.width) * blocks) } } : scaled(c.width);
      layers.push(residual([dense(c.width, { activation: c.activation, ...init }), ...norm()]));
    } else {
      layers.push(dense(c.width, { activation: c.activation, ...scaled(c.width) }), ...norm());
    }
  }
  layers.push(dense(classes));
  return sequential(2, layers, { seed: 1 });
}

/** The hidden layers' biases set to `shift` (the output layer's stays 0): a record for net.load(r, { partial: true }). */
export function shiftedBiases(net: Network, shift: number): TensorRecord {
  const biases = net.layout.segments.filter((s) => s.role === 'bias');
  return Object.fromEntries(biases.slice(0, -1).map((b) => [b.name, { shape: [...b.shape], data: new Float32Array(b.length).fill(shift) }]));
}

export interface LayerRef {
  /** Tensor name, e.g. '0.weight' or '3.block.0.weight'. */
  name: string;
  /** For axes: '1', '2', ..., 'out'. */
  label: string;
}

/** The dense layers' weight matrices, input side first (the arena lays tensors out in graph order). */
export function weightTensors(net: Network): LayerRef[] {
  const w = net.layout.segments.filter((s) => s.role === 'weight');
  return w.map((s, i) => ({ name: s.name, label: i === w.length - 1 ? 'out' : String(i + 1) }));
}

export type Tone = 'vanishing' | 'slow' | 'healthy' | 'growing' | 'exploding';

/** A sentence about per-layer gradient norms (input side first), from the numbers themselves. */
export function explain(norms: readonly number[]): { text: string; tone: Tone; ratio: number } {
  const first = norms[0]!;
  const last = norms[norms.length - 1]!;
  const ratio = first / last;
  const positive = norms.filter((v) => v > 0);
  const spread = positive.length === norms.length ? Math.max(...norms) / Math.min(...norms) : Infinity;
  const perLayer = ratio > 0 ? ratio ** (1 / (norms.length - 1)) : 0;
  const pair = `(${fmt(first)} against ${fmt(last)})`;
  if (spread <= 10) {
    return {
      text: `Gradients are within a factor ${fmt(spread, 2)} across all ${norms.length} layers: every layer gets a useful share of the signal and learns.`,
      tone: 'healthy',
      ratio,
    };
  }
  if (ratio < 1e-3) {
    return {
      text:
        ratio === 0
          ? `Vanishing: the first layer's gradient underflows to zero in float32 (the output layer's is ${fmt(last)}): nothing reaches the early layers, so they do not learn at all.`
          : `Vanishing: the first layer's gradient is ${fmt(ratio, 1)} of the output layer's ${pair}. Each layer scales it by about ×${fmt(perLayer, 2)} on the way back, so the early layers barely learn.`,
      tone: 'vanishing',
      ratio,
    };
  }
  if (ratio < 0.1) {
    return {
      text: `The first layer's gradient is 1/${fmt(1 / ratio, 2)} of the output layer's ${pair}: the early layers learn much more slowly than the late ones.`,
      tone: 'slow',
      ratio,
    };
  }
  if (ratio > 1e3) {
    return {
      text: `Exploding: the first layer's gradient is ${fmt(ratio, 2)}× the output layer's ${pair}; it grows by about ×${fmt(perLayer, 2)} per layer on the way back, and training is likely to diverge.`,
      tone: 'exploding',
      ratio,
    };
  }
  return {
    text:
      ratio > 10
        ? `The first layer's gradient is ${fmt(ratio, 2)}× the output layer's ${pair}: gradients grow on their way back.`
        : `First and output layers get similar gradients ${pair}, but they vary by a factor ${fmt(spread, 2)} across the layers in between.`,
    tone: ratio > 10 ? 'growing' : 'healthy',
    ratio,
  };
}
