// The activations' names and facts shared by the kernels, the CPU reference and the model definitions.
// A leaf module: it imports nothing, so defining a model or checking a kernel never pulls in GPU code.

/** Each activation's code in shaders/include/activations.wgsl. */
export const ACTIVATION_CODES = {
  identity: 0,
  relu: 1,
  leaky_relu: 2,
  sigmoid: 3,
  tanh: 4,
  gelu: 5,
} as const;

/** An activation function by name. */
export type Activation = keyof typeof ACTIVATION_CODES;
/** Every activation name, in kernel code order. */
export const ACTIVATIONS = Object.keys(ACTIVATION_CODES) as Activation[];

/** Leaky ReLU's default negative slope (PyTorch's). */
export const DEFAULT_LEAKY_SLOPE = 0.01;

/** Whether act'(x) can be recovered from y = act(x): not for GELU, nor Leaky ReLU with a slope <= 0. */
export function derivativeFromOutput(activation: Activation, slope = DEFAULT_LEAKY_SLOPE): boolean {
  return ['identity', 'relu', 'sigmoid', 'tanh'].includes(activation) || (activation === 'leaky_relu' && slope > 0);
}
