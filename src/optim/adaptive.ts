// Per-coordinate adaptive rates: Adagrad, AdaDelta, RMSProp.
import * as ref from '../reference/optim.js';
import { commonFields, plainScalars, resolveOptions, spec, type CommonOptions, type OptimizerDef } from './optimizer.js';

export interface AdagradOptions extends CommonOptions {
  /** Default 1e-10 (PyTorch's; Keras uses 1e-7). */
  eps?: number;
  /** Learning-rate decay per step: lr / (1 + (t - 1) lrDecay). Default 0. */
  lrDecay?: number;
  /** Starting value of the squared-gradient sum: PyTorch 0, TensorFlow 0.1. Default 0. */
  initialAccumulator?: number;
  /** Where eps goes: 'outside' the root (PyTorch), or 'inside' it (TensorFlow, Keras): g / sqrt(sum + eps). */
  epsilon?: 'outside' | 'inside';
}

/** Adagrad: sum <- sum + g^2; theta <- theta - lr g / (sqrt(sum) + eps). PyTorch's defaults (lr 0.01). */
export function adagrad(options: AdagradOptions = {}): OptimizerDef {
  const o = resolveOptions('adagrad', options, {
    lr: spec.rate(0.01),
    eps: spec.positive(1e-10),
    lrDecay: spec.nonNegative(0),
    initialAccumulator: spec.nonNegative(0),
    epsilon: spec.choice('outside', ['outside', 'inside']),
  });
  const opts = { eps: o.eps as number, lrDecay: o.lrDecay as number, epsInside: o.epsilon === 'inside' };
  return {
    name: 'adagrad',
    shader: 'optim/adagrad',
    constants: { EPS_INSIDE: opts.epsInside },
    state: ['sum'],
    stateInit: { sum: o.initialAccumulator as number },
    ...commonFields(o),
    decoupled: false,
    hyper: { eps: opts.eps },
    scalars: (step, lr) => ({ step_lr: lr / (1 + (step - 1) * opts.lrDecay), root_scale: 1 }),
    options: {
      lr: o.lr as number,
      weightDecay: o.weightDecay as number,
      ...opts,
      initialAccumulator: o.initialAccumulator as number,
      epsilon: o.epsilon as string,
    },
    rule: `sum <- sum + g^2; theta <- theta - lr / (1 + (t - 1) lrDecay) g / ${opts.epsInside ? 'sqrt(sum + eps)' : '(sqrt(sum) + eps)'}`,
    reference: (theta, grad, state, c) => ref.adagradStep(theta, grad, state, c, opts),
  };
}

export interface AdadeltaOptions extends CommonOptions {
  /** Default 0.9. */
  rho?: number;
  /** Default 1e-6. */
  eps?: number;
}

/**
 * AdaDelta: square_avg <- rho square_avg + (1 - rho) g^2; delta = sqrt(acc + eps) / sqrt(square_avg + eps) g;
 * acc <- rho acc + (1 - rho) delta^2; theta <- theta - lr delta. lr defaults to 1 (the paper, PyTorch); Keras uses 0.001.
 */
export function adadelta(options: AdadeltaOptions = {}): OptimizerDef {
  const o = resolveOptions('adadelta', options, { lr: spec.rate(1), rho: spec.unit(0.9), eps: spec.positive(1e-6) });
  const opts = { rho: o.rho as number, eps: o.eps as number };
  return {
    name: 'adadelta',
    shader: 'optim/adadelta',
    constants: {},
    state: ['square_avg', 'acc_delta'],
    stateInit: {},
    ...commonFields(o),
    decoupled: false,
    hyper: { rho: opts.rho, one_minus_rho: 1 - opts.rho, eps: opts.eps },
    scalars: plainScalars,
    options: { lr: o.lr as number, weightDecay: o.weightDecay as number, ...opts },
    rule: 'E[g^2] <- rho E[g^2] + (1 - rho) g^2; d = sqrt(E[d^2] + eps) / sqrt(E[g^2] + eps) g; E[d^2] <- rho E[d^2] + (1 - rho) d^2; theta <- theta - lr d',
    reference: (theta, grad, state, c) => ref.adadeltaStep(theta, grad, state, c, opts),
  };
}

export interface RmspropOptions extends CommonOptions {
  /** Smoothing constant. Default 0.99 (PyTorch's; Keras and TensorFlow use 0.9). */
  alpha?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Default 0. */
  momentum?: number;
  /** Divide by the centred second moment (an estimate of the variance). Default false. */
  centered?: boolean;
  /** Where eps goes: 'outside' the root (PyTorch) or 'inside' (TensorFlow). Default 'outside'. */
  epsilon?: 'outside' | 'inside';
}

/** RMSProp, plain or centred: theta <- theta - lr g / (sqrt(E[g^2] (- E[g]^2)) + eps), optional momentum. */
export function rmsprop(options: RmspropOptions = {}): OptimizerDef {
  const o = resolveOptions('rmsprop', options, {
    lr: spec.rate(0.01),
    alpha: spec.unit(0.99),
    eps: spec.positive(1e-8),
    momentum: spec.unit(0),
    centered: spec.bool(false),
    epsilon: spec.choice('outside', ['outside', 'inside']),
  });
  const opts = {
    alpha: o.alpha as number,
    eps: o.eps as number,
    momentum: o.momentum as number,
    centered: o.centered as boolean,
    epsInside: o.epsilon === 'inside',
  };
  const state = ['square_avg', ...(opts.centered ? ['grad_avg'] : []), ...(opts.momentum > 0 ? ['momentum_buffer'] : [])];
  return {
    name: opts.centered ? 'rmsprop (centred)' : 'rmsprop',
    shader: 'optim/rmsprop',
    constants: { CENTERED: opts.centered, EPS_INSIDE: opts.epsInside },
    state,
    stateInit: {},
    ...commonFields(o),
    decoupled: false,
    hyper: { rho: opts.alpha, one_minus_rho: 1 - opts.alpha, eps: opts.eps, momentum: opts.momentum },
    scalars: plainScalars,
    options: { lr: o.lr as number, weightDecay: o.weightDecay as number, ...opts, epsilon: o.epsilon as string },
    rule: `E[g^2] <- alpha E[g^2] + (1 - alpha) g^2; ${opts.centered ? 'E[g] <- alpha E[g] + (1 - alpha) g; ' : ''}theta <- theta - lr g / (sqrt(E[g^2]${opts.centered ? ' - E[g]^2' : ''}) + eps)`,
    reference: (theta, grad, state2, c) => ref.rmspropStep(theta, grad, state2, c, opts),
  };
}
