// The two models of the Convolutions lab, trained side by side on the same MNIST digits: a small CNN (small
// enough to train visibly on a software adapter) and an MLP of about the same number of weights.
import { adam, conv2dLayer, dense, flatten, maxPool2dLayer, sequential, type Model, type OptimizerDef } from '../../src/index.js';

/** The first layer's filters: count and window side. */
export const FIRST_FILTERS = 8;
export const FIRST_KERNEL = 5;

/** 28x28x1 → conv 8 5x5 same ReLU → max-pool 2 → conv 16 5x5 ReLU → max-pool 2 → flatten → dense 10. */
export function cnnModel(seed = 1): Model {
  return sequential(
    [28, 28, 1],
    [
      conv2dLayer(FIRST_FILTERS, FIRST_KERNEL, { padding: 'same', activation: 'relu' }),
      maxPool2dLayer(2),
      conv2dLayer(16, 5, { activation: 'relu' }),
      maxPool2dLayer(2),
      flatten(),
      dense(10),
    ],
    { seed },
  );
}

/** 784 → 16 ReLU → 10: more weights than the CNN (12.7k against 7.4k), but no notion of neighbouring pixels. */
export function mlpModel(seed = 1): Model {
  return sequential(784, [dense(16, { activation: 'relu' }), dense(10)], { seed });
}

export const CNN_LABEL = 'conv 8·5×5 → pool → conv 16·5×5 → pool → dense 10';
export const MLP_LABEL = '784 → 16 ReLU → 10';

/** Adam for both (a rate found to make both learn within a few hundred steps of 32). */
export function labOptimizer(): OptimizerDef {
  return adam({ lr: 0.002 });
}
