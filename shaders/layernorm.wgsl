// Layer normalization over the last dimension D of x [B, D], gamma [D], beta [D] (PyTorch's LayerNorm:
// biased variance, eps inside the square root). xhat[i, j] = (x[i, j] - mean[i]) * rstd[i].
//   forward:         mean[i] = (1/D) sum_j x[i, j],  var[i] = (1/D) sum_j (x[i, j] - mean[i])^2 (two passes),
//                    rstd[i] = 1 / sqrt(var[i] + eps),  y[i, j] = xhat[i, j] * gamma[j] + beta[j]
//   backward:        g = dy * gamma;  dx[i, j] = rstd[i] (g[i, j] - mean_j g[i, :] - xhat[i, j] mean_j (g xhat)[i, :])
//   backward_params: dgamma[j] = sum_i dy[i, j] xhat[i, j],  dbeta[j] = sum_i dy[i, j]
// Every output is overwritten (dx is added to instead with ACCUMULATE). backward and backward_params read forward's mean and rstd as saved_mean and
// saved_rstd: read-only bindings, so they may share a buffer with the other inputs (a binding that is written may not).
// Bindings: params (uniform: B, D, eps); forward: x, gamma, beta (read), y, mean, rstd (read_write);
//   backward: x, gamma, saved_mean, saved_rstd, dy (read), dx (read_write);
//   backward_params: x, saved_mean, saved_rstd, dy (read), dgamma, dbeta (read_write).
// Two layouts of the row-wise passes: forward and backward give a row a workgroup of WG invocations that reduce
// through workgroup memory (for wide rows on GPUs); forward_rows and backward_rows give a row one invocation, WG
// rows a workgroup, with no barrier at all (CPU adapters, where every barrier of a one-row workgroup costs more
// than the row's arithmetic: 6 ms against well under 1 ms for 1024 rows of 64 on lavapipe).
// Overrides: WG (forward, backward: invocations per row, power of two, default 64; the _rows entries: rows per
//   workgroup); ACCUMULATE (backward, backward_rows: dx += instead of dx =, default false);
//   WG_X, WG_Y (backward_params: columns per workgroup, default 32, and lanes per column, power of two, default 8).
// Dispatch: forward, backward: gridFor(B) workgroups, one per row; forward_rows, backward_rows: gridFor(ceil(B / WG));
//   backward_params: gridFor(ceil(D / WG_X)).
// Reference: layerNormForward, layerNormBackward in src/reference/layernorm.ts.
//#include row_reduce
//#include col_reduce

override WG: u32 = 64u;
// backward, backward_rows: add dx onto what the buffer holds (a second gradient contribution) instead of writing it.
override ACCUMULATE: bool = false;
override WG_X: u32 = 32u;
override WG_Y: u32 = 8u;

struct Params {
  B: u32,
  D: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(7) var<storage, read> dy: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;
@group(0) @binding(9) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(10) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(11) var<storage, read> saved_mean: array<f32>;
@group(0) @binding(12) var<storage, read> saved_rstd: array<f32>;

// The backward's store: dx written, or (ACCUMULATE) added onto what the buffer holds.
fn put_dx(i: u32, v: f32) {
  if (ACCUMULATE) {
    dx[i] += v;
  } else {
    dx[i] = v;
  }
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg);
  if (row >= params.B) {
    return;
  }
  let D = params.D;
  let base = row * D;
  var s = 0.0;
  for (var j = lid.x; j < D; j += WG) {
    s += x[base + j];
  }
  let mu = row_sum(lid.x, vec4<f32>(s, 0.0, 0.0, 0.0)).x / f32(D);
  // Second pass over the centred values: E[x^2] - E[x]^2 would cancel catastrophically for large means.
  var q = 0.0;
  for (var j = lid.x; j < D; j += WG) {
    let d = x[base + j] - mu;
    q += d * d;
  }
  let variance = row_sum(lid.x, vec4<f32>(q, 0.0, 0.0, 0.0)).x / f32(D);
  let r = inverseSqrt(variance + params.eps);
  for (var j = lid.x; j < D; j += WG) {
    y[base + j] = (x[base + j] - mu) * r * gamma[j] + beta[j];
  }
  if (lid.x == 0u) {
    mean[row] = mu;
    rstd[row] = r;
  }
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg);
  if (row >= params.B) {
    return;
  }
  let D = params.D;
  let base = row * D;
  let mu = saved_mean[row];
  let r = saved_rstd[row];
  var acc = vec4<f32>(0.0);
  for (var j = lid.x; j < D; j += WG) {
    let g = dy[base + j] * gamma[j];
    acc.x += g;
    acc.y += g * (x[base + j] - mu) * r;
  }
  let t = row_sum(lid.x, acc) / f32(D);
  for (var j = lid.x; j < D; j += WG) {
    let g = dy[base + j] * gamma[j];
    let xh = (x[base + j] - mu) * r;
    put_dx(base + j, r * (g - t.x - xh * t.y));
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn backward_params(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = col_of(wid, nwg, lid);
  let D = params.D;
  var acc = vec2<f32>(0.0);
  if (j < D) {
    for (var i = lid.y; i < params.B; i += WG_Y) {
      let g = dy[i * D + j];
      acc += vec2<f32>(g * (x[i * D + j] - saved_mean[i]) * saved_rstd[i], g);
    }
  }
  let t = col_sum(lid, acc);
  if (lid.y == 0u && j < D) {
    dgamma[j] = t.x;
    dbeta[j] = t.y;
  }
}

@compute @workgroup_size(WG)
fn forward_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg) * WG + lid.x;
  if (row >= params.B) {
    return;
  }
  let D = params.D;
  let base = row * D;
  var s = 0.0;
  for (var j = 0u; j < D; j++) {
    s += x[base + j];
  }
  let mu = s / f32(D);
  var q = 0.0;
  for (var j = 0u; j < D; j++) {
    let d = x[base + j] - mu;
    q += d * d;
  }
  let r = inverseSqrt(q / f32(D) + params.eps);
  for (var j = 0u; j < D; j++) {
    y[base + j] = (x[base + j] - mu) * r * gamma[j] + beta[j];
  }
  mean[row] = mu;
  rstd[row] = r;
}

@compute @workgroup_size(WG)
fn backward_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg) * WG + lid.x;
  if (row >= params.B) {
    return;
  }
  let D = params.D;
  let base = row * D;
  let mu = saved_mean[row];
  let r = saved_rstd[row];
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = 0u; j < D; j++) {
    let g = dy[base + j] * gamma[j];
    sg += g;
    sgx += g * (x[base + j] - mu) * r;
  }
  let tg = sg / f32(D);
  let tgx = sgx / f32(D);
  for (var j = 0u; j < D; j++) {
    let g = dy[base + j] * gamma[j];
    let xh = (x[base + j] - mu) * r;
    put_dx(base + j, r * (g - tg - xh * tgx));
  }
}
