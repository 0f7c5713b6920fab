// CPU reference for shaders/layernorm.wgsl, from the definition of layer normalization, in float64.
// Over the last dimension D of x [B, D]: mean_i = (1/D) sum_j x_ij, var_i = (1/D) sum_j (x_ij - mean_i)^2 (biased,
// as PyTorch), rstd_i = 1 / sqrt(var_i + eps), xhat_ij = (x_ij - mean_i) rstd_i, y_ij = gamma_j xhat_ij + beta_j.

/** Default epsilon of the norms (PyTorch's). */
export const NORM_EPS = 1e-5;

function rowStats(x: ArrayLike<number>, i: number, D: number, eps: number): { mean: number; rstd: number } {
  let s = 0;
  for (let j = 0; j < D; j++) s += x[i * D + j]!;
  const mean = s / D;
  let q = 0;
  for (let j = 0; j < D; j++) q += (x[i * D + j]! - mean) ** 2;
  return { mean, rstd: 1 / Math.sqrt(q / D + eps) };
}

/** y [B, D] and the per-row mean [B] and rstd [B] that the backward pass reuses. */
export function layerNormForward(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  B: number,
  D: number,
  eps = NORM_EPS,
): { y: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const y = new Float64Array(B * D);
  const mean = new Float64Array(B);
  const rstd = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    const st = rowStats(x, i, D, eps);
    mean[i] = st.mean;
    rstd[i] = st.rstd;
    for (let j = 0; j < D; j++) y[i * D + j] = gamma[j]! * (x[i * D + j]! - st.mean) * st.rstd + beta[j]!;
  }
  return { y, mean, rstd };
}

/**
 * Gradients of L = sum(dy * y). With g = dy * gamma, per row (derived by hand; mean and var depend on every x_ij):
 * dx_ij = rstd_i (g_ij - (1/D) sum_k g_ik - xhat_ij (1/D) sum_k g_ik xhat_ik),
 * dgamma_j = sum_i dy_ij xhat_ij, dbeta_j = sum_i dy_ij.
 */
export function layerNormBackward(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  dy: ArrayLike<number>,
  B: number,
  D: number,
  eps = NORM_EPS,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const dx = new Float64Array(B * D);
  const dgamma = new Float64Array(D);
  const dbeta = new Float64Array(D);
  for (let i = 0; i < B; i++) {
    const { mean, rstd } = rowStats(x, i, D, eps);
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < D; j++) {
      const xhat = (x[i * D + j]! - mean) * rstd;
      const g = dy[i * D + j]! * gamma[j]!;
      sg += g;
      sgx += g * xhat;
      dgamma[j] += dy[i * D + j]! * xhat;
      dbeta[j] += dy[i * D + j]!;
    }
    for (let j = 0; j < D; j++) {
      const xhat = (x[i * D + j]! - mean) * rstd;
      dx[i * D + j] = rstd * (dy[i * D + j]! * gamma[j]! - sg / D - (xhat * sgx) / D);
    }
  }
  return { dx, dgamma, dbeta };
}
