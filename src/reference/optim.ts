// CPU reference for the optimizer updates in shaders/optim/.

/** theta <- theta - lr * grad, element-wise, in place. */
export function sgdUpdate(theta: Float32Array, grad: Float32Array, lr: number): void {
  for (let i = 0; i < theta.length; i++) theta[i] = theta[i]! - lr * grad[i]!;
}
