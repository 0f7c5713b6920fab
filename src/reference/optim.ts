// CPU reference for the optimizer updates in shaders/optim/, written from the published update rules
// (PyTorch's documented algorithms, TensorFlow's where an option asks for its form; Lion from Chen et al.
// 2023), in float64 per element, stored as the arrays given hold it: f32 as on the GPU, or float64 when
// the reference serves as the rule evaluated exactly.

/** What every update sees besides its own state: the step, the rate, per-element options, clipping. */
export interface UpdateContext {
  /** 1-based step count of this optimizer. */
  step: number;
  /** This step's base learning rate. */
  lr: number;
  /** Per-element learning-rate multiplier and weight decay (from the per-tensor options). */
  lrScale: ArrayLike<number>;
  weightDecay: ArrayLike<number>;
  /** Gradient scale from clipping by global norm (1 when off). */
  clipScale: number;
  /** Decoupled weight decay (AdamW, Lion) rather than L2. */
  decoupled: boolean;
}

/** Parameters and state: f32 as stored, or float64 when the reference serves as the rule evaluated exactly. */
export type Values = Float32Array | Float64Array;

type State = Record<string, Values>;

/** The gradient element i sees after clipping and weight decay, and its learning rate; decays theta if decoupled. */
function prepare(theta: Values, grad: ArrayLike<number>, i: number, c: UpdateContext, lrFactor = 1): { g: number; lr: number } {
  const lr = c.lr * c.lrScale[i]! * lrFactor;
  const wd = c.weightDecay[i]!;
  let g = grad[i]! * c.clipScale;
  if (c.decoupled) theta[i] = theta[i]! * (1 - lr * wd);
  else g += wd * theta[i]!;
  return { g, lr };
}

/** PyTorch's clip_grad_norm_ factor for a gradient of L2 norm `norm`. */
export function clipScale(norm: number, maxNorm: number): number {
  return maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
}

/** theta <- theta - lr g. */
export function sgdStep(theta: Values, grad: ArrayLike<number>, _s: State, c: UpdateContext): void {
  for (let i = 0; i < theta.length; i++) {
    const { g, lr } = prepare(theta, grad, i, c);
    theta[i] = theta[i]! - lr * g;
  }
}

/** Momentum / Nesterov as PyTorch's SGD: the buffer starts as the first gradient. */
export function momentumStep(
  theta: Values,
  grad: ArrayLike<number>,
  s: State,
  c: UpdateContext,
  o: { momentum: number; dampening: number; nesterov: boolean },
): void {
  const v = s.velocity!;
  for (let i = 0; i < theta.length; i++) {
    const { g, lr } = prepare(theta, grad, i, c);
    const buf = c.step === 1 ? g : o.momentum * v[i]! + (1 - o.dampening) * g;
    v[i] = buf;
    theta[i] = theta[i]! - lr * (o.nesterov ? g + o.momentum * buf : buf);
  }
}

/** Adagrad: sum += g^2; theta -= lr / (1 + (t - 1) lrDecay) g / (sqrt(sum) + eps), or / sqrt(sum + eps) (TensorFlow). */
export function adagradStep(theta: Values, grad: ArrayLike<number>, s: State, c: UpdateContext, o: { eps: number; lrDecay: number; epsInside: boolean }): void {
  const sum = s.sum!;
  for (let i = 0; i < theta.length; i++) {
    const { g, lr } = prepare(theta, grad, i, c, 1 / (1 + (c.step - 1) * o.lrDecay));
    sum[i] = sum[i]! + g * g;
    const denom = o.epsInside ? Math.sqrt(sum[i]! + o.eps) : Math.sqrt(sum[i]!) + o.eps;
    theta[i] = theta[i]! - (lr * g) / denom;
  }
}

/** AdaDelta (Zeiler 2012) with PyTorch's learning rate on the step. */
export function adadeltaStep(theta: Values, grad: ArrayLike<number>, s: State, c: UpdateContext, o: { rho: number; eps: number }): void {
  const [sq, acc] = [s.square_avg!, s.acc_delta!];
  for (let i = 0; i < theta.length; i++) {
    const { g, lr } = prepare(theta, grad, i, c);
    sq[i] = o.rho * sq[i]! + (1 - o.rho) * g * g;
    const delta = (Math.sqrt(acc[i]! + o.eps) / Math.sqrt(sq[i]! + o.eps)) * g;
    acc[i] = o.rho * acc[i]! + (1 - o.rho) * delta * delta;
    theta[i] = theta[i]! - lr * delta;
  }
}

/** RMSProp, plain or centred, optional momentum; eps outside the root (PyTorch) or inside (TensorFlow). */
export function rmspropStep(
  theta: Values,
  grad: ArrayLike<number>,
  s: State,
  c: UpdateContext,
  o: { alpha: number; eps: number; momentum: number; centered: boolean; epsInside: boolean },
): void {
  for (let i = 0; i < theta.length; i++) {
    const { g, lr } = prepare(theta, grad, i, c);
    s.square_avg![i] = o.alpha * s.square_avg![i]! + (1 - o.alpha) * g * g;
    let variance = s.square_avg![i]!;
    if (o.centered) {
      s.grad_avg![i] = o.alpha * s.grad_avg![i]! + (1 - o.alpha) * g;
      variance -= s.grad_avg![i]! ** 2;
    }
    const avg = o.epsInside ? Math.sqrt(variance + o.eps) : Math.sqrt(variance) + o.eps;
    if (o.momentum > 0) {
      s.momentum_buffer![i] = o.momentum * s.momentum_buffer![i]! + g / avg;
      theta[i] = theta[i]! - lr * s.momentum_buffer![i]!;
    } else {
      theta[i] = theta[i]! - (lr * g) / avg;
    }
  }
}

/** Adam / AdamW / AMSGrad with bias correction; epsilon as PyTorch (on the corrected root) or TensorFlow (epsilon hat). */
export function adamStep(
  theta: Values,
  grad: ArrayLike<number>,
  s: State,
  c: UpdateContext,
  o: { beta1: number; beta2: number; eps: number; amsgrad: boolean; epsHat: boolean },
): void {
  const bc1 = 1 - o.beta1 ** c.step;
  const bc2 = 1 - o.beta2 ** c.step;
  for (let i = 0; i < theta.length; i++) {
    const { g, lr } = prepare(theta, grad, i, c);
    s.exp_avg![i] = o.beta1 * s.exp_avg![i]! + (1 - o.beta1) * g;
    s.exp_avg_sq![i] = o.beta2 * s.exp_avg_sq![i]! + (1 - o.beta2) * g * g;
    let v = s.exp_avg_sq![i]!;
    if (o.amsgrad) {
      s.max_exp_avg_sq![i] = Math.max(s.max_exp_avg_sq![i]!, v);
      v = s.max_exp_avg_sq![i]!;
    }
    const m = s.exp_avg![i]!;
    theta[i] = o.epsHat
      ? theta[i]! - ((lr * Math.sqrt(bc2)) / bc1) * (m / (Math.sqrt(v) + o.eps))
      : theta[i]! - (lr / bc1) * (m / (Math.sqrt(v) / Math.sqrt(bc2) + o.eps));
  }
}

/** Adamax, the infinity-norm variant of Adam: eps inside the maximum (PyTorch) or added to u (TensorFlow, Keras). */
export function adamaxStep(
  theta: Values,
  grad: ArrayLike<number>,
  s: State,
  c: UpdateContext,
  o: { beta1: number; beta2: number; eps: number; epsAfterMax: boolean },
): void {
  const bc1 = 1 - o.beta1 ** c.step;
  for (let i = 0; i < theta.length; i++) {
    const { g, lr } = prepare(theta, grad, i, c);
    s.exp_avg![i] = o.beta1 * s.exp_avg![i]! + (1 - o.beta1) * g;
    if (o.epsAfterMax) {
      s.exp_inf![i] = Math.max(o.beta2 * s.exp_inf![i]!, Math.abs(g));
      theta[i] = theta[i]! - (lr / bc1) * (s.exp_avg![i]! / (s.exp_inf![i]! + o.eps));
    } else {
      s.exp_inf![i] = Math.max(o.beta2 * s.exp_inf![i]!, Math.abs(g) + o.eps);
      theta[i] = theta[i]! - (lr / bc1) * (s.exp_avg![i]! / s.exp_inf![i]!);
    }
  }
}

/** Lion: the sign of an interpolated momentum, decoupled weight decay. */
export function lionStep(theta: Values, grad: ArrayLike<number>, s: State, c: UpdateContext, o: { beta1: number; beta2: number }): void {
  for (let i = 0; i < theta.length; i++) {
    const { g, lr } = prepare(theta, grad, i, c);
    const u = o.beta1 * s.exp_avg![i]! + (1 - o.beta1) * g;
    theta[i] = theta[i]! - lr * Math.sign(u);
    s.exp_avg![i] = o.beta2 * s.exp_avg![i]! + (1 - o.beta2) * g;
  }
}

/**
 * Classical Nesterov accelerated gradient (Nesterov 1983, as in Sutskever et al. 2013):
 * v <- gamma v + lr grad(theta - gamma v); theta <- theta - v. Returns the points theta visits.
 */
export function nesterovClassical(gradAt: (p: number[]) => number[], start: number[], steps: number, lr: number, gamma: number): number[][] {
  let theta = [...start];
  let v = start.map(() => 0);
  const path = [theta];
  for (let k = 0; k < steps; k++) {
    const g = gradAt(theta.map((t, i) => t - gamma * v[i]!));
    v = v.map((vi, i) => gamma * vi + lr * g[i]!);
    theta = theta.map((t, i) => t - v[i]!);
    path.push(theta);
  }
  return path;
}
