// The optimizers, each one WGSL update over the whole parameter arena (shaders/optim/), and schedules.
import { adagrad, adadelta, rmsprop } from './adaptive.js';
import { adam, adamax, adamw, lion } from './adam.js';
import type { OptimizerDef } from './optimizer.js';
import { momentum, nesterov, sgd } from './sgd.js';

export { adagrad, adadelta, rmsprop, type AdagradOptions, type AdadeltaOptions, type RmspropOptions } from './adaptive.js';
export { adam, adamw, adamax, lion, type AdamOptions, type AdamaxOptions, type LionOptions } from './adam.js';
export { momentum, nesterov, sgd, type MomentumOptions } from './sgd.js';
export * from './schedules.js';
export {
  chunkOptions,
  elementOptions,
  referenceState,
  referenceUpdate,
  tensorOptions,
  type CommonOptions,
  type OptimizerDef,
  type ParamGroup,
  type StepInfo,
  type StepScalars,
} from './optimizer.js';
export { checkLearningRate, checkOptimizer, F32_MAX } from './options.js';

/** Every optimizer by name, with its defaults: for menus, sweeps and tests. */
export const OPTIMIZERS: Readonly<Record<string, (options?: Record<string, unknown>) => OptimizerDef>> = {
  sgd,
  momentum,
  nesterov,
  adagrad,
  adadelta,
  rmsprop,
  adam,
  adamw,
  adamax,
  lion,
};
