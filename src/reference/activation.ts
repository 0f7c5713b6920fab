// CPU reference for shaders/activation.wgsl, shaders/activation_grad.wgsl and the matmul epilogue.
// Written from the definitions, in float64: sigmoid(x) = 1 / (1 + e^-x), tanh, ReLU max(0, x),
// Leaky ReLU (x > 0 ? x : slope * x), GELU's tanh approximation 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).
import type { Activation } from '../core/activations.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** act(x) in float64. */
export function activate(name: Activation, x: number, slope = 0.01): number {
  switch (name) {
    case 'identity':
      return x;
    case 'relu':
      return x > 0 ? x : 0;
    case 'leaky_relu':
      return x > 0 ? x : slope * x;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'gelu':
      return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)));
  }
}

/** act'(x) in float64, derived by hand; ReLU'(0) = 0 and LeakyReLU'(0) = slope by convention. */
export function activateDerivative(name: Activation, x: number, slope = 0.01): number {
  switch (name) {
    case 'identity':
      return 1;
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'leaky_relu':
      return x > 0 ? 1 : slope;
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 - s);
    }
    case 'tanh':
      return 1 - Math.tanh(x) ** 2;
    case 'gelu': {
      const u = SQRT_2_OVER_PI * (x + 0.044715 * x ** 3);
      const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x ** 2);
      const t = Math.tanh(u);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
    }
  }
}

/** y[i] = act(x[i]). */
export function activationForward(x: Float32Array, name: Activation, slope?: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = activate(name, x[i]!, slope);
  return y;
}

/** dx[i] = dy[i] * act'(x[i]). */
export function activationBackward(x: Float32Array, dy: Float32Array, name: Activation, slope?: number): Float32Array {
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i]! * activateDerivative(name, x[i]!, slope);
  return dx;
}

/** Whether act'(x) can be recovered from y = act(x) (so the output alone serves the backward pass). */
export function derivativeFromOutputExists(name: Activation, slope = 0.01): boolean {
  return name === 'identity' || name === 'relu' || name === 'sigmoid' || name === 'tanh' || (name === 'leaky_relu' && slope > 0);
}

/** act'(x) written as a function of y = act(x), derived by hand: sigmoid' = y (1 - y), tanh' = 1 - y^2, ReLU' = [y > 0]. */
export function activateDerivativeFromOutput(name: Activation, y: number, slope = 0.01): number {
  switch (name) {
    case 'identity':
      return 1;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'leaky_relu':
      return y > 0 ? 1 : slope;
    case 'sigmoid':
      return y * (1 - y);
    case 'tanh':
      return 1 - y * y;
    case 'gelu':
      throw new Error("gelu's derivative cannot be recovered from its output");
  }
}

/** dx[i] = dy[i] * act'(x[i]) from the outputs y[i] = act(x[i]). */
export function activationBackwardFromOutput(y: Float32Array, dy: Float32Array, name: Activation, slope?: number): Float32Array {
  const dx = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) dx[i] = dy[i]! * activateDerivativeFromOutput(name, y[i]!, slope);
  return dx;
}
