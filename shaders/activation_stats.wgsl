// Activation telemetry: what one activation layer's pre-activations z [B, U] (row-major) say about vanishing
// gradients, written as one record of 5 + 32 floats at metrics[params.base + params.slot * params.stride]:
//   [0] saturated: fraction of the B*U elements with |z| > params.limit, i.e. |act'(z)| < 1% of its maximum
//       (measured for sigmoid and tanh only, else 0; the wrapper passes the threshold)
//   [1] dead: fraction of the U units (columns) whose z is finite and <= 0 in every row (ReLU, Leaky ReLU; else 0)
//   [2] mean of z, [3] population standard deviation of z (two passes); NaN when any z is NaN or +-Inf
//   [4] count of non-finite z, which no other field counts
//   [5 + k] count of finite z in bin k = clamp(floor(2 z) + 16, 0, 31): 32 bins of width 0.5 over [-8, 8),
//       the outer bins also holding the tails
// With APPLY, it also writes y = act(z) (the activation's forward pass, for a layer whose matmul no longer applies
// it, so that z is kept). A slot >= params.slots writes no record (y is still written).
// One workgroup does it all, so every sum runs in a fixed order: deterministic, no float atomics (the histogram
// counts with integer atomics). Invocation t takes the columns t, t + WG, ..., each down its B rows.
// Non-finite tests read the exponent bits (WGSL compilers may assume finite math, so x != x is unreliable).
// Bindings: params (uniform: B, U, slope, limit, base, stride, slot, slots), z (read), y (read_write), metrics (read_write).
// Overrides: ACT (activation code, include/activations.wgsl), APPLY (write y), WG (invocations, a power of two).
// Dispatch: 1 workgroup.
// Reference: activationStats in src/reference/activation-stats.ts.
//#include activations
//#include row_reduce

override ACT: u32 = 0u;
override APPLY: bool = false;
override WG: u32 = 256u;

struct Params {
  B: u32,
  U: u32,
  slope: f32,
  limit: f32,
  base: u32,
  stride: u32,
  slot: u32,
  slots: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> metrics: array<f32>;

var<workgroup> hist: array<atomic<u32>, 32>;
var<workgroup> shared_mean: f32;

fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// A quiet NaN made at run time: WGSL's constant evaluation rejects a NaN constant.
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// floor(2 v) is exact in f32; clamping before the conversion keeps huge values inside i32.
fn bin_of(v: f32) -> u32 {
  return u32(i32(clamp(floor(2.0 * v), -16.0, 15.0)) + 16);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  if (t < 32u) {
    atomicStore(&hist[t], 0u);
  }
  workgroupBarrier();
  let measure_sat = ACT == ACT_SIGMOID || ACT == ACT_TANH;
  let measure_dead = ACT == ACT_RELU || ACT == ACT_LEAKY_RELU;
  // x: sum of finite z, y: saturated, z: non-finite, w: dead units.
  var acc = vec4<f32>(0.0);
  for (var u = t; u < params.U; u += WG) {
    var alive = false;
    for (var b = 0u; b < params.B; b++) {
      let i = b * params.U + u;
      let v = z[i];
      if (APPLY) {
        y[i] = act_forward(ACT, v, params.slope);
      }
      if (!is_finite(v)) {
        acc.z += 1.0;
        alive = true;
        continue;
      }
      acc.x += v;
      if (measure_sat && abs(v) > params.limit) {
        acc.y += 1.0;
      }
      alive = alive || v > 0.0;
      atomicAdd(&hist[bin_of(v)], 1u);
    }
    if (measure_dead && !alive) {
      acc.w += 1.0;
    }
  }
  let tot = row_sum(t, acc);
  let n = f32(params.B * params.U);
  if (t == 0u) {
    shared_mean = tot.x / n;
  }
  workgroupBarrier();
  let mean = shared_mean;
  var sq = 0.0;
  for (var u = t; u < params.U; u += WG) {
    for (var b = 0u; b < params.B; b++) {
      let v = z[b * params.U + u];
      if (is_finite(v)) {
        sq += (v - mean) * (v - mean);
      }
    }
  }
  let sq_tot = row_sum(t, vec4<f32>(sq, 0.0, 0.0, 0.0)).x;
  if (params.slot >= params.slots) {
    return;
  }
  let rec = params.base + params.slot * params.stride;
  if (t < 32u) {
    metrics[rec + 5u + t] = f32(atomicLoad(&hist[t]));
  }
  if (t == 0u) {
    let bad = tot.z > 0.0;
    metrics[rec] = tot.y / n;
    metrics[rec + 1u] = tot.w / f32(params.U);
    metrics[rec + 2u] = select(mean, nan_f32(), bad);
    metrics[rec + 3u] = select(sqrt(sq_tot / n), nan_f32(), bad);
    metrics[rec + 4u] = tot.z;
  }
}
