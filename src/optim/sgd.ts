// Gradient descent, momentum and Nesterov momentum.
import * as ref from '../reference/optim.js';
import { OptionError } from '../core/errors.js';
import { checkOptionsObject, commonFields, plainScalars, resolveOptions, spec, type CommonOptions, type OptimizerDef } from './optimizer.js';

/** Plain gradient descent: theta <- theta - lr g. PyTorch's default lr 1e-3. */
export function sgd(options: CommonOptions = {}): OptimizerDef {
  const o = resolveOptions('sgd', options, { lr: spec.rate(1e-3) });
  return {
    name: 'sgd',
    shader: 'optim/sgd',
    constants: {},
    state: [],
    stateInit: {},
    ...commonFields(o),
    decoupled: false,
    hyper: {},
    scalars: plainScalars,
    options: { lr: o.lr as number, weightDecay: o.weightDecay as number },
    rule: 'theta <- theta - lr g',
    reference: (theta, grad, state, c) => ref.sgdStep(theta, grad, state, c),
  };
}

export interface MomentumOptions extends CommonOptions {
  /** Default 0.9. */
  momentum?: number;
  /** Default 0 (PyTorch's). */
  dampening?: number;
  nesterov?: boolean;
}

/**
 * Momentum (PyTorch's SGD form): buf <- momentum buf + (1 - dampening) g (buf = g on the first step);
 * theta <- theta - lr buf. With a constant lr this visits the same points as the textbook
 * v <- gamma v + lr g; theta <- theta - v.
 */
export function momentum(options: MomentumOptions = {}): OptimizerDef {
  checkOptionsObject('momentum', options);
  const name = options.nesterov ? 'nesterov' : 'momentum';
  const o = resolveOptions(name, options, {
    lr: spec.rate(1e-3),
    momentum: spec.unit(0.9),
    dampening: spec.closedUnit(0),
    nesterov: spec.bool(false),
  });
  if (o.nesterov && ((o.momentum as number) <= 0 || o.dampening !== 0)) {
    throw new OptionError(`nesterov: needs momentum > 0 and dampening 0 (PyTorch's rule), got momentum ${o.momentum}, dampening ${o.dampening}`);
  }
  const opts = { momentum: o.momentum as number, dampening: o.dampening as number, nesterov: o.nesterov as boolean };
  return {
    name,
    shader: 'optim/momentum',
    constants: { NESTEROV: opts.nesterov },
    state: ['velocity'],
    stateInit: {},
    ...commonFields(o),
    decoupled: false,
    hyper: { momentum: opts.momentum, dampening: opts.dampening },
    scalars: plainScalars,
    options: { lr: o.lr as number, weightDecay: o.weightDecay as number, ...opts },
    rule: opts.nesterov
      ? 'buf <- momentum buf + g; theta <- theta - lr (g + momentum buf)'
      : 'buf <- momentum buf + (1 - dampening) g; theta <- theta - lr buf',
    reference: (theta, grad, state, c) => ref.momentumStep(theta, grad, state, c, opts),
  };
}

/**
 * Nesterov accelerated momentum in the form that needs only the gradient at the stored parameters (the
 * look-ahead point theta - gamma v of v <- gamma v + lr grad(theta - gamma v), theta <- theta - v):
 * buf <- momentum buf + g; theta <- theta - lr (g + momentum buf).
 */
export function nesterov(options: Omit<MomentumOptions, 'nesterov' | 'dampening'> = {}): OptimizerDef {
  checkOptionsObject('nesterov', options);
  return momentum({ ...options, nesterov: true });
}
