// Per-step training metrics computed on the GPU into slot params.slot of a metrics ring of params.slots slots
// of 4 + 2 S floats each, so a ring of steps can be read back later without stalling. One slot, at
// metrics[slot * (4 + 2 S)]:
//   [0]       mean of loss over B; NaN when any loss value is NaN or +-Inf
//   [1]       accuracy: mean of correct over B; NaN when no `correct` is bound (params.has_correct = 0)
//   [2]       1 when any gradient (in a segment) or loss value is NaN or +-Inf, else 0
//   [3]       global gradient L2 norm, sqrt(sum over segments of their squared norms); NaN when a gradient is not finite
//   [4 + 2 s] segment s's L2 norm; NaN when the segment holds a non-finite value
//   [5 + 2 s] segment s's count of non-finite values
// Segments are [offset, length] pairs (u32) in elements of grads; elements at or past params.n are ignored.
// A slot >= params.slots writes nothing (the slot is a per-step uniform, outside the wrapper's size checks).
// Two entry points, dispatched in this order (workgroups of one dispatch cannot wait for each other):
//   segment_norms: one workgroup per segment writes [4 + 2 s] and [5 + 2 s];   dispatch gridFor(S)
//   finish:        one workgroup re-reads those, reduces loss and correct, writes [0..3];   dispatch 1
// Non-finite tests read the exponent bits (WGSL compilers may assume finite math, so x != x is unreliable).
// Bindings: params (uniform: n, S, B, has_correct, slot, slots); segment_norms: grads, segments (read), metrics;
//   finish: loss, correct (read), metrics (read_write).
// Overrides: WG (invocations per workgroup, a power of two, default 256).
// Reference: telemetry in src/reference/telemetry.ts.
//#include row_reduce

override WG: u32 = 256u;

struct Params {
  n: u32,
  S: u32,
  B: u32,
  has_correct: u32,
  slot: u32,
  slots: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> segments: array<u32>;
@group(0) @binding(3) var<storage, read> loss: array<f32>;
@group(0) @binding(4) var<storage, read> correct: array<f32>;
@group(0) @binding(5) var<storage, read_write> metrics: array<f32>;

fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// A quiet NaN made at run time: WGSL's constant evaluation rejects a NaN constant.
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

fn slot_base() -> u32 {
  return params.slot * (4u + 2u * params.S);
}

@compute @workgroup_size(WG)
fn segment_norms(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = row_of(wid, nwg);
  if (s >= params.S || params.slot >= params.slots) {
    return;
  }
  let off = segments[2u * s];
  let len = segments[2u * s + 1u];
  var sq = 0.0;
  var bad = 0.0;
  for (var k = lid.x; k < len; k += WG) {
    let at = off + k;
    if (at < params.n) {
      let v = grads[at];
      if (is_finite(v)) {
        sq += v * v;
      } else {
        bad += 1.0;
      }
    }
  }
  let t = row_sum(lid.x, vec4<f32>(sq, bad, 0.0, 0.0));
  if (lid.x == 0u) {
    let base = slot_base() + 4u + 2u * s;
    metrics[base] = select(sqrt(t.x), nan_f32(), t.y > 0.0);
    metrics[base + 1u] = t.y;
  }
}

@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_id) lid: vec3<u32>) {
  if (params.slot >= params.slots) {
    return;
  }
  let base = slot_base();
  // x: sum of finite losses, y: non-finite losses, z: sum of correct, w: squared segment norms.
  var acc = vec4<f32>(0.0);
  for (var i = lid.x; i < params.B; i += WG) {
    let l = loss[i];
    if (is_finite(l)) {
      acc.x += l;
    } else {
      acc.y += 1.0;
    }
    if (params.has_correct != 0u) {
      acc.z += correct[i];
    }
  }
  var bad_grads = 0.0;
  for (var s = lid.x; s < params.S; s += WG) {
    let bad = metrics[base + 5u + 2u * s];
    let norm = metrics[base + 4u + 2u * s];
    acc.w += select(norm * norm, 0.0, bad > 0.0);
    bad_grads += bad;
  }
  let t = row_sum(lid.x, acc);
  let g = row_sum(lid.x, vec4<f32>(bad_grads, 0.0, 0.0, 0.0)).x;
  if (lid.x == 0u) {
    let nan = nan_f32();
    let b = f32(params.B);
    metrics[base] = select(t.x / b, nan, t.y > 0.0);
    metrics[base + 1u] = select(nan, t.z / b, params.has_correct != 0u);
    metrics[base + 2u] = select(0.0, 1.0, t.y > 0.0 || g > 0.0);
    metrics[base + 3u] = select(sqrt(t.w), nan, g > 0.0);
  }
}
