// Matmul variant "subgroup": block16's 16 x 8 elements of C per invocation, with the loads of A shared across
// a subgroup. The invocations of one subgroup (WG_X = SG of them, one row of the workgroup) compute the same
// 16 rows of C at different columns, so they need the same 16 values of A per k: each loads 16 / SG of them
// and takes the rest from its neighbours with subgroupShuffle (a register operation, not a memory access).
// Per k an invocation loads 16 / SG + 8 values instead of 24 (10 when SG = 8, as on lavapipe, where loads
// are bounds-checked per-lane gathers and limit the other variants).
// Needs the 'subgroups' feature, a fixed subgroup size SG dividing 16, and subgroups made of consecutive
// invocations (WG_X = SG); prepareMatmul falls back to "block16" elsewhere. Control flow stays uniform (no
// early return; out-of-range rows and columns are read clamped and never stored), as subgroup operations need.
// Bindings, params and epilogue: include/matmul_common.wgsl.
// Overrides: ACT, HAS_BIAS; SG (subgroup size, 4, 8 or 16); WG_Y (subgroups per workgroup).
// Dispatch: (ceil(N / (8 * SG)), ceil(M / (16 * WG_Y))).
// Reference: matmul in src/reference/matmul.ts.
enable subgroups;
//#include matmul_common

override SG: u32 = 8u;
override WG_Y: u32 = 4u;
const ROWS: u32 = 16u;

@compute @workgroup_size(SG, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = (wid.y * WG_Y + lid.y) * ROWS;
  let j0 = wid.x * 8u * SG + lid.x;
  let last_i = params.M - 1u;
  let last_j = params.N - 1u;
  var lo: vec4<u32>;
  var hi: vec4<u32>;
  for (var t = 0u; t < 4u; t++) {
    lo[t] = min(j0 + t * SG, last_j);
    hi[t] = min(j0 + (t + 4u) * SG, last_j);
  }
  // This invocation's share of the rows: i0 + lid.x + q * SG for q < ROWS / SG.
  var mine: array<u32, 4>;
  for (var q = 0u; q < ROWS / SG; q++) {
    mine[q] = min(i0 + lid.x + q * SG, last_i);
  }
  var acc_lo: array<vec4<f32>, 16>;
  var acc_hi: array<vec4<f32>, 16>;
  for (var k = 0u; k < params.K; k++) {
    let b_lo = vec4<f32>(load_b(k, lo[0]), load_b(k, lo[1]), load_b(k, lo[2]), load_b(k, lo[3]));
    let b_hi = vec4<f32>(load_b(k, hi[0]), load_b(k, hi[1]), load_b(k, hi[2]), load_b(k, hi[3]));
    var a_mine: array<f32, 4>;
    for (var q = 0u; q < ROWS / SG; q++) {
      a_mine[q] = load_a(mine[q], k);
    }
    for (var r = 0u; r < ROWS; r++) {
      let av = subgroupShuffle(a_mine[r / SG], r % SG);
      acc_lo[r] += av * b_lo;
      acc_hi[r] += av * b_hi;
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let i = i0 + r;
    if (i < params.M) {
      store_row8(i, j0, SG, acc_lo[r], acc_hi[r]);
    }
  }
}
