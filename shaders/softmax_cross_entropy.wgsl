// Fused softmax cross-entropy over the rows of logits [B, C], labels [B] (class indices stored as f32).
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

// A quiet NaN made at run time: WGSL's constant evaluation rejects a NaN constant.
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

struct ArgMax {
  v: f32,
  i: u32,
}

// Row max and its index across the workgroup, ties to the lowest index; NONE marks an invocation with no column.
fn row_argmax(lid: u32, v: f32, i: u32) -> ArgMax {
  arg_val[lid] = v;
  arg_idx[lid] = i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      let ov = arg_val[lid + s];
      let oi = arg_idx[lid + s];
      let mine = arg_idx[lid];
      if (oi != NONE && (mine == NONE || ov > arg_val[lid] || (ov == arg_val[lid] && oi < mine))) {
        arg_val[lid] = ov;
        arg_idx[lid] = oi;
      }
    }
    workgroupBarrier();
  }
  let r = ArgMax(arg_val[0], arg_idx[0]);
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
  // Columns are visited in increasing order, so a strict > keeps the lowest index among equal values.
  var best = 0.0;
  var best_i = NONE;
  for (var c = lid.x; c < C; c += WG) {
    let z = logits[base + c];
    if (best_i == NONE || z > best) {
      best = z;
      best_i = c;
    }
  }
  let am = row_argmax(lid.x, best, best_i);
  let shift = am.v;
  var s = 0.0;
  for (var c = lid.x; c < C; c += WG) {
    s += exp(logits[base + c] - shift);
  }
  let total = row_sum(lid.x, vec4<f32>(s, 0.0, 0.0, 0.0)).x;
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

// One invocation per row: the same three passes over the row, serially.
@compute @workgroup_size(64)
fn per_row(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = flat_index(wid, nwg, lid, 64u);
  if (row >= params.B) {
    return;
  }
  let C = params.C;
  let base = row * C;
  var best = logits[base];
  var best_i = 0u;
  for (var c = 1u; c < C; c++) {
    let z = logits[base + c];
    if (z > best) {
      best = z;
      best_i = c;
    }
  }
  var total = 0.0;
  for (var c = 0u; c < C; c++) {
    total += exp(logits[base + c] - best);
  }
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
