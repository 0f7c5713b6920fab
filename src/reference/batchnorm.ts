// CPU reference for shaders/batchnorm.wgsl, from the definition of batch normalization (PyTorch's BatchNorm1d),
// in float64. Per feature j of x [B, D], over the batch: mean_j = (1/B) sum_i x_ij,
// var_j = (1/B) sum_i (x_ij - mean_j)^2 (biased, used to normalize), rstd_j = 1 / sqrt(var_j + eps),
// xhat_ij = (x_ij - mean_j) rstd_j, y_ij = gamma_j xhat_ij + beta_j.
import { NORM_EPS } from './layernorm.js';

/** PyTorch's default momentum of the running statistics. */
export const BATCHNORM_MOMENTUM = 0.1;

function colStats(x: ArrayLike<number>, j: number, B: number, D: number): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < B; i++) s += x[i * D + j]!;
  const mean = s / B;
  let q = 0;
  for (let i = 0; i < B; i++) q += (x[i * D + j]! - mean) ** 2;
  return { mean, variance: q / B };
}

/** The batch's statistics per feature as the running update takes them: the mean and the unbiased variance. */
export function batchNormBatchStats(x: ArrayLike<number>, B: number, D: number): { mean: Float64Array; unbiasedVar: Float64Array } {
  const mean = new Float64Array(D);
  const unbiasedVar = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    const st = colStats(x, j, B, D);
    mean[j] = st.mean;
    // PyTorch's var * B / (B - 1); for B = 1, where that is undefined, the biased variance, 0.
    unbiasedVar[j] = B > 1 ? (st.variance * B) / (B - 1) : st.variance;
  }
  return { mean, unbiasedVar };
}

/**
 * The running statistics after one batch: running = (1 - momentum) running + momentum stat. A step that went
 * non-finite (`halted`, this step or one before it) leaves them as they were.
 */
export function batchNormCommit(
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  batch: { mean: ArrayLike<number>; unbiasedVar: ArrayLike<number> },
  momentum = BATCHNORM_MOMENTUM,
  halted = false,
): { runningMean: Float64Array; runningVar: Float64Array } {
  const m = momentum;
  const fold = (run: ArrayLike<number>, stat: ArrayLike<number>) => Float64Array.from(run, (r, j) => (halted ? r : (1 - m) * r + m * stat[j]!));
  return { runningMean: fold(runningMean, batch.mean), runningVar: fold(runningVar, batch.unbiasedVar) };
}

/**
 * Training-mode forward: y from the batch statistics, the saved mean [D] and rstd [D], and the new running
 * statistics (batchNormCommit of batchNormBatchStats).
 */
export function batchNormTrain(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  B: number,
  D: number,
  options: { eps?: number; momentum?: number } = {},
) {
  const eps = options.eps ?? NORM_EPS;
  const y = new Float64Array(B * D);
  const mean = new Float64Array(D);
  const rstd = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    const st = colStats(x, j, B, D);
    mean[j] = st.mean;
    rstd[j] = 1 / Math.sqrt(st.variance + eps);
    for (let i = 0; i < B; i++) y[i * D + j] = gamma[j]! * (x[i * D + j]! - st.mean) * rstd[j]! + beta[j]!;
  }
  const running = batchNormCommit(runningMean, runningVar, batchNormBatchStats(x, B, D), options.momentum ?? BATCHNORM_MOMENTUM);
  return { y, mean, rstd, ...running };
}

/** Evaluation-mode forward: y = gamma (x - runningMean) / sqrt(runningVar + eps) + beta. */
export function batchNormEval(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  B: number,
  D: number,
  eps = NORM_EPS,
): Float64Array {
  const y = new Float64Array(B * D);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < D; j++) {
      y[i * D + j] = (gamma[j]! * (x[i * D + j]! - runningMean[j]!)) / Math.sqrt(runningVar[j]! + eps) + beta[j]!;
    }
  }
  return y;
}

/**
 * Training-mode gradients of L = sum(dy * y), through the batch statistics (derived by hand; mean_j and var_j
 * depend on every x_ij of the column): dbeta_j = sum_i dy_ij, dgamma_j = sum_i dy_ij xhat_ij,
 * dx_ij = gamma_j rstd_j (dy_ij - dbeta_j / B - xhat_ij dgamma_j / B).
 */
export function batchNormBackward(
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
  for (let j = 0; j < D; j++) {
    const st = colStats(x, j, B, D);
    const rstd = 1 / Math.sqrt(st.variance + eps);
    for (let i = 0; i < B; i++) {
      dbeta[j] += dy[i * D + j]!;
      dgamma[j] += dy[i * D + j]! * (x[i * D + j]! - st.mean) * rstd;
    }
    for (let i = 0; i < B; i++) {
      const xhat = (x[i * D + j]! - st.mean) * rstd;
      dx[i * D + j] = gamma[j]! * rstd * (dy[i * D + j]! - dbeta[j]! / B - (xhat * dgamma[j]!) / B);
    }
  }
  return { dx, dgamma, dbeta };
}
