// Adam and its family: Adam, AdamW, AMSGrad (an Adam option), Adamax, Lion.
import * as ref from '../reference/optim.js';
import { betaHyper, commonFields, plainScalars, resolveOptions, spec, type CommonOptions, type OptimizerDef } from './optimizer.js';

export interface AdamOptions extends CommonOptions {
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8 (Keras uses 1e-7). */
  eps?: number;
  /** Keep the running maximum of the second moment (AMSGrad). Default false. */
  amsgrad?: boolean;
  /**
   * Where eps enters: 'pytorch' adds it to the bias-corrected root, sqrt(v / (1 - beta2^t)) + eps;
   * 'tensorflow' adds it to the uncorrected root and folds the corrections into the step size ("epsilon hat").
   */
  epsilon?: 'pytorch' | 'tensorflow';
}

function adamFamily(name: 'adam' | 'adamw', options: AdamOptions, decoupled: boolean, defaultDecay: number): OptimizerDef {
  const o = resolveOptions(name, options, {
    lr: spec.rate(1e-3),
    betas: spec.betas([0.9, 0.999]),
    eps: spec.positive(1e-8),
    amsgrad: spec.bool(false),
    epsilon: spec.choice('pytorch', ['pytorch', 'tensorflow']),
  });
  const [beta1, beta2] = o.betas as [number, number];
  const opts = { beta1, beta2, eps: o.eps as number, amsgrad: o.amsgrad as boolean, epsHat: o.epsilon === 'tensorflow' };
  const fields = commonFields(o);
  if (options.weightDecay === undefined) fields.weightDecay = defaultDecay;
  return {
    name: opts.amsgrad ? `${name} (amsgrad)` : name,
    shader: 'optim/adam',
    constants: { DECOUPLED: decoupled, AMSGRAD: opts.amsgrad },
    state: ['exp_avg', 'exp_avg_sq', ...(opts.amsgrad ? ['max_exp_avg_sq'] : [])],
    stateInit: {},
    ...fields,
    decoupled,
    hyper: { ...betaHyper(beta1, beta2), eps: opts.eps },
    // Both forms are theta - step_lr m / (sqrt(v) root_scale + eps), with the corrections in float64.
    scalars: (step, lr) => {
      const [bc1, bc2] = [1 - beta1 ** step, 1 - beta2 ** step];
      return opts.epsHat ? { step_lr: (lr * Math.sqrt(bc2)) / bc1, root_scale: 1 } : { step_lr: lr / bc1, root_scale: 1 / Math.sqrt(bc2) };
    },
    options: { lr: fields.lr, weightDecay: fields.weightDecay, ...opts, epsilon: o.epsilon as string },
    rule:
      `${decoupled ? 'theta <- theta (1 - lr wd); ' : ''}m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; ${opts.amsgrad ? 'v <- max(vmax, v); ' : ''}` +
      (opts.epsHat
        ? 'theta <- theta - lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)'
        : 'theta <- theta - lr / (1 - b1^t) m / (sqrt(v / (1 - b2^t)) + eps)'),
    reference: (theta, grad, state, c) => ref.adamStep(theta, grad, state, c, opts),
  };
}

/** Adam (Kingma & Ba) with bias correction; weight decay, if any, is L2. PyTorch's defaults. */
export function adam(options: AdamOptions = {}): OptimizerDef {
  return adamFamily('adam', options, false, 0);
}

/** AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, default 0.01 (PyTorch's). */
export function adamw(options: AdamOptions = {}): OptimizerDef {
  return adamFamily('adamw', options, true, 0.01);
}

export interface AdamaxOptions extends CommonOptions {
  betas?: [number, number];
  /** Default 1e-8 (Keras and TensorFlow.js use 1e-7). */
  eps?: number;
  /**
   * Where eps enters: 'pytorch' inside the maximum, u <- max(b2 u, |g| + eps), m / u; 'tensorflow' (Keras,
   * TensorFlow.js) added to u in the denominator, u <- max(b2 u, |g|), m / (u + eps).
   */
  epsilon?: 'pytorch' | 'tensorflow';
}

/** Adamax: u <- max(beta2 u, |g| + eps); theta <- theta - lr / (1 - beta1^t) m / u. PyTorch's defaults (lr 2e-3). */
export function adamax(options: AdamaxOptions = {}): OptimizerDef {
  const o = resolveOptions('adamax', options, {
    lr: spec.rate(2e-3),
    betas: spec.betas([0.9, 0.999]),
    eps: spec.positive(1e-8),
    epsilon: spec.choice('pytorch', ['pytorch', 'tensorflow']),
  });
  const [beta1, beta2] = o.betas as [number, number];
  const opts = { beta1, beta2, eps: o.eps as number, epsAfterMax: o.epsilon === 'tensorflow' };
  return {
    name: 'adamax',
    shader: 'optim/adamax',
    constants: { EPS_AFTER_MAX: opts.epsAfterMax },
    state: ['exp_avg', 'exp_inf'],
    stateInit: {},
    ...commonFields(o),
    decoupled: false,
    hyper: { ...betaHyper(beta1, beta2), eps: opts.eps },
    scalars: (step, lr) => ({ step_lr: lr / (1 - beta1 ** step), root_scale: 1 }),
    options: { lr: o.lr as number, weightDecay: o.weightDecay as number, ...opts, epsilon: o.epsilon as string },
    rule: opts.epsAfterMax
      ? 'm <- b1 m + (1 - b1) g; u <- max(b2 u, |g|); theta <- theta - lr / (1 - b1^t) m / (u + eps)'
      : 'm <- b1 m + (1 - b1) g; u <- max(b2 u, |g| + eps); theta <- theta - lr / (1 - b1^t) m / u',
    reference: (theta, grad, state, c) => ref.adamaxStep(theta, grad, state, c, opts),
  };
}

export interface LionOptions extends CommonOptions {
  /** Default [0.9, 0.99]. */
  betas?: [number, number];
}

/** Lion (Chen et al. 2023): theta <- theta (1 - lr wd) - lr sign(b1 m + (1 - b1) g); m <- b2 m + (1 - b2) g. lr 1e-4. */
export function lion(options: LionOptions = {}): OptimizerDef {
  const o = resolveOptions('lion', options, { lr: spec.rate(1e-4), betas: spec.betas([0.9, 0.99]) });
  const [beta1, beta2] = o.betas as [number, number];
  const opts = { beta1, beta2 };
  return {
    name: 'lion',
    shader: 'optim/lion',
    constants: { DECOUPLED: true },
    state: ['exp_avg'],
    stateInit: {},
    ...commonFields(o),
    decoupled: true,
    hyper: betaHyper(beta1, beta2),
    scalars: plainScalars,
    options: { lr: o.lr as number, weightDecay: o.weightDecay as number, ...opts },
    rule: 'theta <- theta (1 - lr wd) - lr sign(b1 m + (1 - b1) g); m <- b2 m + (1 - b2) g',
    reference: (theta, grad, state, c) => ref.lionStep(theta, grad, state, c, opts),
  };
}
