// Matmul variant "interleaved": like "blocked", each invocation computes 4 x 4 elements of C in registers with
// no workgroup memory, but takes every WG_X-th column and every WG_Y-th row of its workgroup's tile, so
// neighbouring invocations read neighbouring elements of B and write neighbouring elements of C: coalesced
// accesses on a GPU, vector loads and stores on a CPU implementation.
// Bindings, params and epilogue: include/matmul_common.wgsl.
// Overrides: ACT, HAS_BIAS; WG_X, WG_Y (workgroup size, default 8 x 8, so a workgroup covers 32 x 32 of C).
// Dispatch: (ceil(N / (4 * WG_X)), ceil(M / (4 * WG_Y))).
// Reference: matmul in src/reference/matmul.ts.
//#include matmul_common

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  // The workgroup covers 4 WG_Y rows by 4 WG_X columns; an invocation takes every WG_X-th column and every
  // WG_Y-th row of it, so neighbouring invocations read neighbouring elements of B and write neighbouring
  // elements of C (coalesced on a GPU, vector loads on a CPU implementation).
  let i0 = wid.y * 4u * WG_Y + lid.y;
  let j0 = wid.x * 4u * WG_X + lid.x;
  if (i0 >= params.M || j0 >= params.N) {
    return;
  }
  // Out-of-range rows and columns read the last valid one (clamped) and are never stored.
  let last_i = params.M - 1u;
  let last_j = params.N - 1u;
  var rows: vec4<u32>;
  var cols: vec4<u32>;
  for (var t = 0u; t < 4u; t++) {
    rows[t] = min(i0 + t * WG_Y, last_i);
    cols[t] = min(j0 + t * WG_X, last_j);
  }
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k < params.K; k++) {
    let bv = vec4<f32>(load_b(k, cols[0]), load_b(k, cols[1]), load_b(k, cols[2]), load_b(k, cols[3]));
    acc[0] += load_a(rows[0], k) * bv;
    acc[1] += load_a(rows[1], k) * bv;
    acc[2] += load_a(rows[2], k) * bv;
    acc[3] += load_a(rows[3], k) * bv;
  }
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r * WG_Y;
    if (i < params.M) {
      for (var s = 0u; s < 4u; s++) {
        let j = j0 + s * WG_X;
        if (j < params.N) {
          store_c(i, j, acc[r][s]);
        }
      }
    }
  }
}
