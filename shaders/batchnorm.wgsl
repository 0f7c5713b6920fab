// Batch normalization of x [B, D] per feature j over the batch (PyTorch's BatchNorm1d), gamma [D], beta [D].
//   forward_train: mean[j] = (1/B) sum_i x[i, j],  var[j] = (1/B) sum_i (x[i, j] - mean[j])^2 (two passes),
//                  rstd[j] = 1 / sqrt(var[j] + eps),  y = (x - mean) * rstd * gamma + beta,
//                  running_mean = (1 - m) running_mean + m mean,
//                  running_var  = (1 - m) running_var + m var * B / (B - 1)   (unbiased, as PyTorch; B = 1: var)
//   forward_batch: forward_train with the running update deferred: batch_stats [2, D] gets (mean, unbiased var)
//                  for shaders/batchnorm_commit.wgsl to fold in once the step is known to be finite.
//   forward_eval:  y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta
//   backward:      xhat = (x - mean) * rstd,  dbeta[j] = sum_i dy,  dgamma[j] = sum_i dy xhat,
//                  dx = gamma rstd (dy - dbeta / B - xhat dgamma / B)   (through the batch statistics)
// y, mean, rstd, batch_stats, dx, dgamma, dbeta are overwritten; running_mean / running_var are updated in place.
// Entries that only read a statistic bind it read-only under another name (running_mean_in, saved_mean, ...), so
// it may share a buffer with the other inputs; a binding that is written may not share one with a read-only one.
// Bindings: params (uniform: B, D, eps, momentum);
//   forward_train: x, gamma, beta (read), y, mean, rstd, running_mean, running_var (read_write);
//   forward_batch: x, gamma, beta (read), y, mean, rstd, batch_stats (read_write);
//   forward_eval: x, gamma, beta, running_mean_in, running_var_in (read), y (read_write);
//   backward: x, gamma, saved_mean, saved_rstd, dy (read), dx, dgamma, dbeta (read_write).
// Overrides: WG_X (columns per workgroup, default 32), WG_Y (lanes per column, power of two, default 8):
//   forward_train, forward_batch, backward; WG (forward_eval, default 256).
// Dispatch: forward_train, forward_batch, backward: gridFor(ceil(D / WG_X)); forward_eval: gridFor(ceil(B * D / WG)).
// Reference: src/reference/batchnorm.ts: batchNormTrain, batchNormBatchStats (forward_batch's batch_stats),
//   batchNormEval, batchNormBackward.
//#include col_reduce
//#include grid

override WG_X: u32 = 32u;
override WG_Y: u32 = 8u;
override WG: u32 = 256u;

struct Params {
  B: u32,
  D: u32,
  eps: f32,
  momentum: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(7) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(8) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(9) var<storage, read> dy: array<f32>;
@group(0) @binding(10) var<storage, read_write> dx: array<f32>;
@group(0) @binding(11) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(12) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(13) var<storage, read> saved_mean: array<f32>;
@group(0) @binding(14) var<storage, read> saved_rstd: array<f32>;
@group(0) @binding(15) var<storage, read> running_mean_in: array<f32>;
@group(0) @binding(16) var<storage, read> running_var_in: array<f32>;
@group(0) @binding(17) var<storage, read_write> batch_stats: array<f32>;

// What lane 0 of a live column still has to record: the column, its mean and its unbiased variance.
struct ColumnStats {
  record: bool,
  j: u32,
  mean: f32,
  unbiased: f32,
}

// The training forward pass of one column: y, mean and rstd written; the running statistics left to the caller.
fn normalize_column(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> ColumnStats {
  let j = col_of(wid, nwg, lid);
  let B = params.B;
  let D = params.D;
  let live = j < D;
  var s = 0.0;
  if (live) {
    for (var i = lid.y; i < B; i += WG_Y) {
      s += x[i * D + j];
    }
  }
  let mu = col_sum(lid, vec2<f32>(s, 0.0)).x / f32(B);
  // Second pass over the centred values: E[x^2] - E[x]^2 would cancel catastrophically for large means.
  var q = 0.0;
  if (live) {
    for (var i = lid.y; i < B; i += WG_Y) {
      let d = x[i * D + j] - mu;
      q += d * d;
    }
  }
  let variance = col_sum(lid, vec2<f32>(q, 0.0)).x / f32(B);
  let r = inverseSqrt(variance + params.eps);
  if (!live) {
    return ColumnStats(false, j, 0.0, 0.0);
  }
  let gr = gamma[j] * r;
  for (var i = lid.y; i < B; i += WG_Y) {
    y[i * D + j] = (x[i * D + j] - mu) * gr + beta[j];
  }
  if (lid.y == 0u) {
    mean[j] = mu;
    rstd[j] = r;
  }
  let unbiased = select(variance, variance * (f32(B) / f32(max(B, 2u) - 1u)), B > 1u);
  return ColumnStats(lid.y == 0u, j, mu, unbiased);
}

@compute @workgroup_size(WG_X, WG_Y)
fn forward_train(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = normalize_column(wid, nwg, lid);
  if (c.record) {
    let m = params.momentum;
    running_mean[c.j] = (1.0 - m) * running_mean[c.j] + m * c.mean;
    running_var[c.j] = (1.0 - m) * running_var[c.j] + m * c.unbiased;
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn forward_batch(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = normalize_column(wid, nwg, lid);
  if (c.record) {
    batch_stats[c.j] = c.mean;
    batch_stats[params.D + c.j] = c.unbiased;
  }
}

@compute @workgroup_size(WG)
fn forward_eval(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let k = flat_index(wid, nwg, lid, WG);
  if (k >= params.B * params.D) {
    return;
  }
  let j = k % params.D;
  y[k] = (x[k] - running_mean_in[j]) * inverseSqrt(running_var_in[j] + params.eps) * gamma[j] + beta[j];
}

@compute @workgroup_size(WG_X, WG_Y)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = col_of(wid, nwg, lid);
  let B = params.B;
  let D = params.D;
  let live = j < D;
  var mu = 0.0;
  var r = 0.0;
  var acc = vec2<f32>(0.0);
  if (live) {
    mu = saved_mean[j];
    r = saved_rstd[j];
    for (var i = lid.y; i < B; i += WG_Y) {
      let g = dy[i * D + j];
      acc += vec2<f32>(g, g * (x[i * D + j] - mu) * r);
    }
  }
  let t = col_sum(lid, acc);
  if (!live) {
    return;
  }
  if (lid.y == 0u) {
    dbeta[j] = t.x;
    dgamma[j] = t.y;
  }
  let inv_b = 1.0 / f32(B);
  let gr = gamma[j] * r;
  for (var i = lid.y; i < B; i += WG_Y) {
    let xh = (x[i * D + j] - mu) * r;
    dx[i * D + j] = gr * (dy[i * D + j] - t.x * inv_b - xh * t.y * inv_b);
  }
}
