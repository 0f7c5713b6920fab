import { sgdUpdate } from '../reference/optim.js';
import { checkLearningRate, type OptimizerDef } from './optimizer.js';

/** Plain gradient descent: theta <- theta - lr * grad. */
export function sgd(options: { lr?: number } = {}): OptimizerDef {
  const lr = checkLearningRate(options.lr ?? 0.01, 'sgd');
  return {
    name: 'sgd',
    shader: 'optim/sgd',
    state: [],
    lr,
    uniforms: (info) => ({ lr: info.lr }),
    reference: (theta, grad, _state, info) => sgdUpdate(theta, grad, info.lr),
  };
}
