// Named architectures shared by the command line and the benchmarks.
import { conv2d, flatten, maxPool2d } from './image-layers.js';
import { GraphError } from '../core/errors.js';
import { dense, layerNorm } from './layers.js';
import { embedding, positionalEmbedding, transformerBlock } from './sequence-layers.js';
import { sequential, type Model } from './model.js';

/** LeNet-5 on 28x28x1 images: conv 6 5x5 'same' -> pool -> conv 16 5x5 'valid' -> pool -> 120 -> 84 -> classes, ReLU between. */
export function lenet5(options: { classes?: number; seed?: number } = {}): Model {
  return sequential(
    [28, 28, 1],
    [
      conv2d(6, 5, { padding: 'same', activation: 'relu' }),
      maxPool2d(2),
      conv2d(16, 5, { activation: 'relu' }),
      maxPool2d(2),
      flatten(),
      dense(120, { activation: 'relu' }),
      dense(84, { activation: 'relu' }),
      dense(options.classes ?? 10),
    ],
    { seed: options.seed ?? 1 },
  );
}

/**
 * A GPT: token embedding (`0.weight` [vocab, channels]), learned positions (`1.weight` [context, channels]), `layers`
 * pre-LayerNorm transformer blocks (`2` .. `layers + 1`), a final LayerNorm and a dense head to vocab logits, whose
 * weight is the embedding table when `tie` is set.
 */
export function gpt(options: {
  vocab: number;
  context: number;
  layers: number;
  heads: number;
  channels: number;
  mlpRatio?: number;
  tie?: boolean;
  seed?: number;
}): Model {
  const { vocab, context, layers, heads, channels } = options;
  if (!Number.isInteger(layers) || layers < 0) throw new GraphError(`gpt: layers must be a non-negative integer, got ${layers}`);
  return sequential(
    { tokens: context },
    [
      embedding(vocab, channels),
      positionalEmbedding(context),
      Array.from({ length: layers }, () => transformerBlock({ heads, mlpRatio: options.mlpRatio })),
      layerNorm(),
      dense(vocab, { tie: options.tie ?? false }),
    ],
    { seed: options.seed ?? 1 },
  );
}
