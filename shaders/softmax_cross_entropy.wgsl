// Fused softmax cross-entropy over the rows of logits [B, C], labels [B] (class indices stored as f32), for any C
// (a 50,257-token vocabulary included) in two passes over the row: one online pass keeping the running max m (and
// its index) and the sum of exp(z - m), rescaled whenever m grows, then the gradient pass.
// With m_i = max_c z[i, c] subtracted before exp, so logits of +-1e4 stay finite:
//   loss[i]       = log(sum_c exp(z[i, c] - m_i)) - (z[i, label_i] - m_i)            (= -log softmax[label])
//   dlogits[i, c] = grad_scale * (softmax(z_i)[c] - (c == label_i))                   (overwritten)
//   correct[i]    = 1 if argmax_c z[i, c] == label_i (ties go to the lowest index), else 0
// A label that is not an integer in [0, C) gives loss NaN, correct 0 and dlogits = grad_scale * softmax,
// so the telemetry's non-finite flag reports it instead of the step silently training on garbage.
// Bindings: params (uniform: B, C, grad_scale), logits, labels (read), loss, dlogits, correct (read_write).
// Entry points: main, a workgroup of WG invocations per row (WG a power of two, default 64), dispatched as
// gridFor(B) workgroups (src/kernels/grid.ts); per_row, one invocation per row for few classes (C up to
// 64; the row's loops are short and no barrier is needed), dispatched as gridFor(ceil(B / 64)).
// Reference: softmaxCrossEntropy in src/reference/loss.ts.
//#include row_reduce
//#include grid

override WG: u32 = 64u;
const NONE: u32 = 0xffffffffu;

struct Params {
  B: u32,
  C: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> correct: array<f32>;

var<workgroup> arg_val: array<f32, WG>;
var<workgroup> arg_idx: array<u32, WG>;
var<workgroup> arg_sum: array<f32, WG>;

// A quiet NaN made at run time: WGSL's constant evaluation rejects a NaN constant.
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// The online softmax state of part of a row: max v at index i (NONE: no column seen) and s = sum exp(z - v).
struct Online {
  v: f32,
  i: u32,
  s: f32,
}

// Adds logit z at column c (columns visited in increasing order, so a strict > keeps the lowest index of a tie).
fn online_add(a: Online, z: f32, c: u32) -> Online {
  if (a.i == NONE || z > a.v) {
    // Rescale the sum to the new max (nothing to rescale before the first column).
    let s = select(0.0, a.s * exp(a.v - z), a.i != NONE);
    return Online(z, c, s + 1.0);
  }
  return Online(a.v, a.i, a.s + exp(z - a.v));
}

// Merges two parts of a row; equal maxima keep the lower index.
fn online_merge(a: Online, b: Online) -> Online {
  if (b.i == NONE) {
    return a;
  }
  if (a.i == NONE) {
    return b;
  }
  let take_b = b.v > a.v || (b.v == a.v && b.i < a.i);
  let m = select(a.v, b.v, take_b);
  return Online(m, select(a.i, b.i, take_b), a.s * exp(a.v - m) + b.s * exp(b.v - m));
}

// The whole row's state across the workgroup; every invocation gets it.
fn row_online(lid: u32, x: Online) -> Online {
  arg_val[lid] = x.v;
  arg_idx[lid] = x.i;
  arg_sum[lid] = x.s;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      let m = online_merge(Online(arg_val[lid], arg_idx[lid], arg_sum[lid]), Online(arg_val[lid + s], arg_idx[lid + s], arg_sum[lid + s]));
      arg_val[lid] = m.v;
      arg_idx[lid] = m.i;
      arg_sum[lid] = m.s;
    }
    workgroupBarrier();
  }
  let r = Online(arg_val[0], arg_idx[0], arg_sum[0]);
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg);
  if (row >= params.B) {
    return;
  }
  let C = params.C;
  let base = row * C;
  var part = Online(0.0, NONE, 0.0);
  for (var c = lid.x; c < C; c += WG) {
    part = online_add(part, logits[base + c], c);
  }
  let am = row_online(lid.x, part);
  let shift = am.v;
  let total = am.s;
  let label = label_of(row, C);
  let inv = 1.0 / total;
  for (var c = lid.x; c < C; c += WG) {
    let p = exp(logits[base + c] - shift) * inv;
    dlogits[base + c] = params.grad_scale * (p - select(0.0, 1.0, c == label));
  }
  if (lid.x == 0u) {
    finish_row(row, label, log(total) - (logits[base + min(label, C - 1u)] - shift), am.i);
  }
}

// One invocation per row: the same two passes over the row, serially.
@compute @workgroup_size(64)
fn per_row(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = flat_index(wid, nwg, lid, 64u);
  if (row >= params.B) {
    return;
  }
  let C = params.C;
  let base = row * C;
  var st = Online(0.0, NONE, 0.0);
  for (var c = 0u; c < C; c++) {
    st = online_add(st, logits[base + c], c);
  }
  let best = st.v;
  let best_i = st.i;
  let total = st.s;
  let label = label_of(row, C);
  let inv = 1.0 / total;
  for (var c = 0u; c < C; c++) {
    let p = exp(logits[base + c] - best) * inv;
    dlogits[base + c] = params.grad_scale * (p - select(0.0, 1.0, c == label));
  }
  finish_row(row, label, log(total) - (logits[base + min(label, C - 1u)] - best), best_i);
}

// The row's label as a class index, or NONE when it is not an integer in [0, C).
fn label_of(row: u32, C: u32) -> u32 {
  let lf = labels[row];
  // The exponent-bits test rejects a NaN label, which the comparisons alone may not under fast math.
  let finite = (bitcast<u32>(lf) & 0x7f800000u) != 0x7f800000u;
  let valid = finite && lf >= 0.0 && lf < f32(C) && floor(lf) == lf;
  return select(NONE, u32(max(lf, 0.0)), valid);
}

// Loss and correct of a row: its loss (computed by the caller at the label's logit) when the label is valid,
// else NaN and 0.
fn finish_row(row: u32, label: u32, row_loss: f32, argmax: u32) {
  if (label != NONE) {
    loss[row] = row_loss;
    correct[row] = select(0.0, 1.0, argmax == label);
  } else {
    loss[row] = nan_f32();
    correct[row] = 0.0;
  }
}
