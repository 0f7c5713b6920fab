// Every optimizer configuration against its rule evaluated in float64, per element, at steps 1, 2, 3 and 10:
// the GPU's step t starts from its own state after step t - 1 (read back), so only step t's arithmetic is
// judged, to rtol 1e-5 of the step (src/selftest/optim-cases.ts: compareExact). Parameters start at exactly 0
// (the bias) or away from it (the weights); gradient magnitudes span 1e-6 to 1e2 over the arena.
import { describe, expect, it } from 'vitest';
import { adadelta, adagrad, adam, adamax, adamw, lion, momentum, nesterov, rmsprop, sgd, type OptimizerDef } from '../src/optim/index.js';
import { compareExact } from '../src/selftest/optim-cases.js';
import { gpu } from './helpers/gpu.js';

/** Each optimizer and each option that changes its arithmetic; rates big enough that steps exceed the 1e-2 floor. */
const EXACT_CONFIGS: [string, () => OptimizerDef][] = [
  ['sgd', () => sgd({ lr: 0.1 })],
  ['sgd, L2 decay, clipping', () => sgd({ lr: 0.1, weightDecay: 0.01, clipNorm: 20 })],
  ['momentum', () => momentum({ lr: 0.02, momentum: 0.9 })],
  ['momentum with dampening', () => momentum({ lr: 0.02, momentum: 0.8, dampening: 0.3 })],
  ['nesterov, L2 decay', () => nesterov({ lr: 0.02, momentum: 0.9, weightDecay: 1e-3 })],
  ['adagrad', () => adagrad({ lr: 0.1 })],
  ['adagrad, initial accumulator 0.1, lr decay', () => adagrad({ lr: 0.1, initialAccumulator: 0.1, lrDecay: 0.05 })],
  ['adagrad, L2 decay', () => adagrad({ lr: 0.1, weightDecay: 0.01 })],
  ['adagrad, eps inside the root (TensorFlow)', () => adagrad({ lr: 0.1, epsilon: 'inside', eps: 1e-7, initialAccumulator: 0.1 })],
  ['adagrad, eps inside the root, no initial accumulator', () => adagrad({ lr: 0.1, epsilon: 'inside', eps: 1e-7 })],
  ['adadelta', () => adadelta({ lr: 10 })],
  ['adadelta, Keras rho and eps', () => adadelta({ lr: 10, rho: 0.95, eps: 1e-7 })],
  ['rmsprop', () => rmsprop({ lr: 0.01 })],
  ['rmsprop with momentum', () => rmsprop({ lr: 0.01, momentum: 0.5 })],
  ['rmsprop centred with momentum', () => rmsprop({ lr: 0.01, centered: true, momentum: 0.9 })],
  ['rmsprop, eps inside the root, alpha 0.9', () => rmsprop({ lr: 0.01, epsilon: 'inside', alpha: 0.9, eps: 1e-7 })],
  ['rmsprop centred, eps inside the root', () => rmsprop({ lr: 0.01, epsilon: 'inside', centered: true })],
  ['adam', () => adam({ lr: 0.1 })],
  ['adam, betas (0.8, 0.99)', () => adam({ lr: 0.1, betas: [0.8, 0.99] })],
  ['adam amsgrad, L2 decay, clipping', () => adam({ lr: 0.1, amsgrad: true, weightDecay: 0.01, clipNorm: 20 })],
  ['adam, TensorFlow epsilon', () => adam({ lr: 0.1, epsilon: 'tensorflow', eps: 1e-7 })],
  ['adam amsgrad, TensorFlow epsilon', () => adam({ lr: 0.1, epsilon: 'tensorflow', eps: 1e-7, amsgrad: true })],
  ['adamw', () => adamw({ lr: 0.1, weightDecay: 0.1 })],
  ['adamw, parameter groups, decay on all', () => adamw({ lr: 0.1, decayAll: true, groups: [{ match: /^1\./, lrScale: 0.3, weightDecay: 0.5 }] })],
  ['adamax', () => adamax({ lr: 0.1 })],
  ['adamax, TensorFlow epsilon', () => adamax({ lr: 0.1, epsilon: 'tensorflow', eps: 1e-7 })],
  ['adamax, L2 decay', () => adamax({ lr: 0.1, weightDecay: 0.01 })],
  ['lion, decoupled decay', () => lion({ lr: 0.1, weightDecay: 0.1 })],
];

describe('each update step equals its rule in float64 (rtol 1e-5) at steps 1, 2, 3 and 10', () => {
  EXACT_CONFIGS.forEach(([name, make], i) => {
    it(
      name,
      async () => {
        const r = await compareExact(await gpu(), make(), [1, 2, 3, 10], 900 + i);
        expect(r.pass, r.message).toBe(true);
      },
      30_000,
    );
  });
});
