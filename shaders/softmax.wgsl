// Row softmax over the last axis of x [R, N], with an optional causal mask, and its backward:
//   forward:  y[r, j] = exp(scale x[r, j] - m_r) / sum_{k visible} exp(scale x[r, k] - m_r)   for visible j, else 0
//   backward: dx[r, j] = scale * y[r, j] (dy[r, j] - sum_{k visible} dy[r, k] y[r, k])        for visible j, else 0
// with m_r the row's largest visible scaled logit, so logits of +-1e4 stay finite. Visible: every column, or with
// params.causal set, row r is query t = r % T of its sequence and sees columns j <= t (the attention mask). A row
// with no visible column is written as zeros, never NaN. The forward is two passes over the row: an online pass
// keeping the running max and the sum of exp(z - max) (rescaled whenever the max grows), then the write.
// dx is the gradient with respect to x itself, so scale is folded into it (attention's fused backward folds it
// into dq and dk, the only consumers of dS: the same products).
// Bindings: params (uniform: R, N, T, causal, scale); forward: x (read), y (read_write);
//   backward: probs (the forward's y), dy (read), dx (read_write).
// Two layouts: forward and backward give a row a workgroup of WG invocations that combine through workgroup memory
// (wide rows on GPUs); forward_rows and backward_rows give a row one invocation, WG rows a workgroup, with no
// barrier (narrow rows, and CPU adapters, where a one-row workgroup's barriers cost more than its arithmetic).
// Overrides: WG (forward, backward: invocations per row, a power of two, default 64; the _rows entries: rows per
//   workgroup).
// Dispatch: forward, backward: gridFor(R) workgroups; forward_rows, backward_rows: gridFor(ceil(R / WG)).
// Reference: softmaxForward, softmaxBackward in src/reference/softmax.ts.
//#include row_reduce

override WG: u32 = 64u;
// The lowest finite f32: the max of no column yet (WGSL's constant evaluation rejects -inf).
const LOWEST: f32 = -0x1.fffffep+127f;

struct Params {
  R: u32,
  N: u32,
  T: u32,
  causal: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

var<workgroup> red_m: array<f32, WG>;
var<workgroup> red_s: array<f32, WG>;

// Columns [0, visible) of a row are seen; the causal mask hides the rest.
fn visible(row: u32) -> u32 {
  if (params.causal != 0u) {
    return min(row % params.T + 1u, params.N);
  }
  return params.N;
}

// The online softmax state of part of a row: max m and s = sum exp(z - m) (m = LOWEST, s = 0: no column).
struct Online {
  m: f32,
  s: f32,
}

fn online_add(a: Online, z: f32) -> Online {
  let m = max(a.m, z);
  return Online(m, a.s * exp(a.m - m) + exp(z - m));
}

fn online_merge(a: Online, b: Online) -> Online {
  let m = max(a.m, b.m);
  return Online(m, a.s * exp(a.m - m) + b.s * exp(b.m - m));
}

// y of one visible entry from the row's state (s >= 1: the max itself contributes exp(0)).
fn prob(z: f32, st: Online) -> f32 {
  return exp(z - st.m) / st.s;
}

// dx of one visible entry, from its y and dy and the row's sum of dy * y.
fn grad(yv: f32, dyv: f32, dot: f32) -> f32 {
  return params.scale * yv * (dyv - dot);
}

// The whole row's state across the workgroup; every invocation gets it.
fn row_online(lid: u32, part: Online) -> Online {
  red_m[lid] = part.m;
  red_s[lid] = part.s;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      let c = online_merge(Online(red_m[lid], red_s[lid]), Online(red_m[lid + s], red_s[lid + s]));
      red_m[lid] = c.m;
      red_s[lid] = c.s;
    }
    workgroupBarrier();
  }
  let r = Online(red_m[0], red_s[0]);
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg);
  if (row >= params.R) {
    return;
  }
  let N = params.N;
  let base = row * N;
  let n = visible(row);
  var part = Online(LOWEST, 0.0);
  for (var j = lid.x; j < n; j += WG) {
    part = online_add(part, params.scale * x[base + j]);
  }
  let st = row_online(lid.x, part);
  for (var j = lid.x; j < N; j += WG) {
    y[base + j] = select(0.0, prob(params.scale * x[base + j], st), j < n);
  }
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg);
  if (row >= params.R) {
    return;
  }
  let N = params.N;
  let base = row * N;
  let n = visible(row);
  var acc = 0.0;
  for (var j = lid.x; j < n; j += WG) {
    acc += dy[base + j] * probs[base + j];
  }
  let dot = row_sum(lid.x, vec4<f32>(acc, 0.0, 0.0, 0.0)).x;
  for (var j = lid.x; j < N; j += WG) {
    dx[base + j] = select(0.0, grad(probs[base + j], dy[base + j], dot), j < n);
  }
}

@compute @workgroup_size(WG)
fn forward_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg) * WG + lid.x;
  if (row >= params.R) {
    return;
  }
  let N = params.N;
  let base = row * N;
  let n = visible(row);
  var st = Online(LOWEST, 0.0);
  for (var j = 0u; j < n; j++) {
    st = online_add(st, params.scale * x[base + j]);
  }
  for (var j = 0u; j < n; j++) {
    y[base + j] = prob(params.scale * x[base + j], st);
  }
  for (var j = n; j < N; j++) {
    y[base + j] = 0.0;
  }
}

@compute @workgroup_size(WG)
fn backward_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg) * WG + lid.x;
  if (row >= params.R) {
    return;
  }
  let N = params.N;
  let base = row * N;
  let n = visible(row);
  var dot = 0.0;
  for (var j = 0u; j < n; j++) {
    dot += dy[base + j] * probs[base + j];
  }
  for (var j = 0u; j < n; j++) {
    dx[base + j] = grad(probs[base + j], dy[base + j], dot);
  }
  for (var j = n; j < N; j++) {
    dx[base + j] = 0.0;
  }
}
