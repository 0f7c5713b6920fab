// Named architectures shared by the command line and the benchmarks.
import { conv2d, flatten, maxPool2d } from './image-layers.js';
import { dense } from './layers.js';
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
