// The user's vocabulary for models: layer descriptors (plain data) and the `sequential` builder.
import { ACTIVATIONS, DEFAULT_LEAKY_SLOPE, type Activation } from '../core/activations.js';
import { GraphError } from '../core/errors.js';
import type { ImageLayer } from './image-layers.js';
import type { SequenceLayer } from './sequence-layers.js';

/** Weight initialisation: He (normal, std sqrt(2 / fanIn)), Xavier (uniform, ±sqrt(6 / (fanIn + fanOut))), or a normal of the given std. */
export type Init = 'he' | 'xavier' | { normal: number };

export interface DenseLayer {
  kind: 'dense';
  units: number;
  init: Init;
  bias: boolean;
  /** Share the token embedding's [V, C] table as this layer's weight (weight tying). */
  tie?: boolean;
  name?: string;
}
export interface ActivationLayer {
  kind: 'activation';
  activation: Activation;
  slope: number;
  name?: string;
}
export interface LayerNormLayer {
  kind: 'layerNorm';
  eps: number;
  name?: string;
}
export interface BatchNormLayer {
  kind: 'batchNorm';
  eps: number;
  momentum: number;
  name?: string;
}
export interface ResidualLayer {
  kind: 'residual';
  block: Layer[];
  name?: string;
}
/** Any layer a model is built from. */
export type Layer = DenseLayer | ActivationLayer | LayerNormLayer | BatchNormLayer | ResidualLayer | ImageLayer | SequenceLayer;

const positiveInt = (v: number, what: string) => {
  if (!Number.isInteger(v) || v < 1) throw new GraphError(`${what} must be a positive integer, got ${v}`);
};
const inRange = (v: number, lo: number, hi: number, what: string) => {
  if (!(v > lo && v < hi) || !Number.isFinite(v)) throw new GraphError(`${what} must be in (${lo}, ${hi}), got ${v}`);
};

/** A fully connected layer: y = x . W^T + b with W of shape [units, inputs] (PyTorch's Linear layout); on a sequence [T, C] it acts on the last axis. */
export function dense(
  units: number,
  options: { activation?: Activation; slope?: number; init?: Init; bias?: boolean; tie?: boolean; name?: string } = {},
): Layer[] {
  positiveInt(units, 'dense: units');
  const act = options.activation;
  const init = options.init ?? (act === 'relu' || act === 'leaky_relu' || act === 'gelu' ? 'he' : 'xavier');
  if (typeof init === 'object' && !(init.normal > 0 && Number.isFinite(init.normal))) {
    throw new GraphError(`dense: init.normal must be a positive standard deviation, got ${init.normal}`);
  }
  if (options.tie !== undefined && typeof options.tie !== 'boolean') throw new GraphError(`dense: tie must be true or false, got ${String(options.tie)}`);
  const layer: DenseLayer = { kind: 'dense', units, init, bias: options.bias ?? true, name: options.name, ...(options.tie ? { tie: true } : {}) };
  return act && act !== 'identity' ? [layer, activation(act, { slope: options.slope })] : [layer];
}

/** An element-wise activation layer. */
export function activation(name: Activation, options: { slope?: number; name?: string } = {}): ActivationLayer {
  if (!ACTIVATIONS.includes(name)) {
    throw new GraphError(`unknown activation '${name}'; expected one of: ${ACTIVATIONS.join(', ')}`);
  }
  const slope = options.slope ?? DEFAULT_LEAKY_SLOPE;
  if (!Number.isFinite(slope)) throw new GraphError(`activation slope must be finite, got ${slope}`);
  return { kind: 'activation', activation: name, slope, name: options.name };
}

/** ReLU as a layer of its own. */
export const relu = (): ActivationLayer => activation('relu');
/** Leaky ReLU (negative slope `slope`) as a layer of its own. */
export const leakyRelu = (slope = DEFAULT_LEAKY_SLOPE): ActivationLayer => activation('leaky_relu', { slope });
/** The logistic sigmoid as a layer of its own. */
export const sigmoid = (): ActivationLayer => activation('sigmoid');
/** tanh as a layer of its own. */
export const tanh = (): ActivationLayer => activation('tanh');
/** GELU as a layer of its own. */
export const gelu = (): ActivationLayer => activation('gelu');

/** Layer normalisation over the features of each example, with a learned gain and shift. */
export function layerNorm(options: { eps?: number; name?: string } = {}): LayerNormLayer {
  const eps = options.eps ?? 1e-5;
  inRange(eps, 0, 1, 'layerNorm: eps');
  return { kind: 'layerNorm', eps, name: options.name };
}

/** Batch normalisation over the batch for each feature (each channel, over the batch and pixels, after an image layer); running averages for evaluation (PyTorch's defaults). */
export function batchNorm(options: { eps?: number; momentum?: number; name?: string } = {}): BatchNormLayer {
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  inRange(eps, 0, 1, 'batchNorm: eps');
  inRange(momentum, 0, 1.0000001, 'batchNorm: momentum');
  return { kind: 'batchNorm', eps, momentum, name: options.name };
}

/** y = x + block(x): the block's output shape must equal its input shape. */
export function residual(block: (Layer | Layer[])[], options: { name?: string } = {}): ResidualLayer {
  const flat = block.flat();
  if (flat.length === 0) throw new GraphError('residual: the block is empty');
  return { kind: 'residual', block: flat, name: options.name };
}
