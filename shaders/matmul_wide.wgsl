// Matmul variants "wide" (ROWS = 4), "block8" (ROWS = 8) and "block16" (ROWS = 16): like "interleaved", but
// each invocation computes ROWS x 8 elements of C (every WG_X-th of 8 columns, every WG_Y-th of ROWS rows of
// its workgroup's tile): each value of A loaded is used 8 times and of B ROWS times, for adapters where loads,
// not registers, are the limit. Per value of k an invocation loads ROWS + 8 values for 8 * ROWS multiply-adds:
// 0.375, 0.25 or 0.19 loads per multiply-add; on a CPU adapter (lavapipe), where every load is a bounds-checked
// per-lane gather, block16 is about 1.3x block8 although its 128 accumulators spill.
// Bindings, params and epilogue: include/matmul_common.wgsl.
// Overrides: ACT, HAS_BIAS; ROWS (4, 8 or 16); WG_X, WG_Y (workgroup size, default 8 x 8).
// Dispatch: (ceil(N / (8 * WG_X)), ceil(M / (ROWS * WG_Y))).
// Reference: matmul in src/reference/matmul.ts.
//#include matmul_common

override ROWS: u32 = 4u;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = wid.y * ROWS * WG_Y + lid.y;
  let j0 = wid.x * 8u * WG_X + lid.x;
  if (i0 >= params.M || j0 >= params.N) {
    return;
  }
  // Out-of-range rows and columns read the last valid one (clamped) and are never stored.
  let last_i = params.M - 1u;
  let last_j = params.N - 1u;
  var rows: array<u32, 16>;
  var lo: vec4<u32>;
  var hi: vec4<u32>;
  for (var t = 0u; t < 4u; t++) {
    lo[t] = min(j0 + t * WG_X, last_j);
    hi[t] = min(j0 + (t + 4u) * WG_X, last_j);
  }
  for (var t = 0u; t < ROWS; t++) {
    rows[t] = min(i0 + t * WG_Y, last_i);
  }
  var acc_lo: array<vec4<f32>, 16>;
  var acc_hi: array<vec4<f32>, 16>;
  for (var k = 0u; k < params.K; k++) {
    let b_lo = vec4<f32>(load_b(k, lo[0]), load_b(k, lo[1]), load_b(k, lo[2]), load_b(k, lo[3]));
    let b_hi = vec4<f32>(load_b(k, hi[0]), load_b(k, hi[1]), load_b(k, hi[2]), load_b(k, hi[3]));
    for (var r = 0u; r < ROWS; r++) {
      let av = load_a(rows[r], k);
      acc_lo[r] += av * b_lo;
      acc_hi[r] += av * b_hi;
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let i = i0 + r * WG_Y;
    if (i < params.M) {
      store_row8(i, j0, WG_X, acc_lo[r], acc_hi[r]);
    }
  }
}
