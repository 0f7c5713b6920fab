// Batched strided matmul: for every batch z = u * params.inner + v (u < params.outer, v < params.inner),
//   C_z[i, j] = alpha * sum_k A_z[i, k] B_z[k, j],   i < M, j < N, k < K,
// with every operand read (or written) through its own strides and per-batch offsets, so the heads of an attention
// are products over column blocks of one [B*T, 3C] buffer with no transposes copied:
//   A_z[i, k] = a[a_off + u * a_bo + v * a_bi + i * a_si + k * a_sk]   (B and C alike: b_*, c_* with c_si, c_sj)
// The tile is matmul_subgroup's: each invocation holds 16 rows x 8 columns of C (columns j0 + t * SG, t < 8), the
// 16 values of A per k loaded once across its subgroup and shared with subgroupShuffle. Control flow stays uniform
// (out-of-range rows and columns are read clamped and never stored), as subgroup operations need.
// Needs the 'subgroups' feature with one fixed subgroup size SG dividing 16 (4, 8 or 16).
// Bindings: params (uniform), a, b (read), c (read_write).
// Overrides: SG (subgroup size); WG_Y (subgroups per workgroup, each 16 rows of C).
// Dispatch: (ceil(N / (8 * SG)), ceil(M / (16 * WG_Y)), outer * inner).
// Reference: batchedMatmul in src/reference/bmm.ts.
enable subgroups;

override SG: u32 = 8u;
override WG_Y: u32 = 4u;
const ROWS: u32 = 16u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  inner: u32,
  a_off: u32,
  a_bo: u32,
  a_bi: u32,
  a_si: u32,
  a_sk: u32,
  b_off: u32,
  b_bo: u32,
  b_bi: u32,
  b_sk: u32,
  b_sj: u32,
  c_off: u32,
  c_bo: u32,
  c_bi: u32,
  c_si: u32,
  c_sj: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(SG, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let u = wid.z / params.inner;
  let v = wid.z % params.inner;
  let a0 = params.a_off + u * params.a_bo + v * params.a_bi;
  let b0 = params.b_off + u * params.b_bo + v * params.b_bi;
  let c0 = params.c_off + u * params.c_bo + v * params.c_bi;
  let i0 = (wid.y * WG_Y + lid.y) * ROWS;
  let j0 = wid.x * 8u * SG + lid.x;
  let last_i = params.M - 1u;
  let last_j = params.N - 1u;
  // Element offsets of this invocation's 8 columns of B (clamped), and of its share of A's 16 rows.
  var lo: vec4<u32>;
  var hi: vec4<u32>;
  for (var t = 0u; t < 4u; t++) {
    lo[t] = b0 + min(j0 + t * SG, last_j) * params.b_sj;
    hi[t] = b0 + min(j0 + (t + 4u) * SG, last_j) * params.b_sj;
  }
  var mine: array<u32, 4>;
  for (var q = 0u; q < ROWS / SG; q++) {
    mine[q] = a0 + min(i0 + lid.x + q * SG, last_i) * params.a_si;
  }
  var acc_lo: array<vec4<f32>, 16>;
  var acc_hi: array<vec4<f32>, 16>;
  for (var k = 0u; k < params.K; k++) {
    let bk = k * params.b_sk;
    let b_lo = vec4<f32>(b[lo[0] + bk], b[lo[1] + bk], b[lo[2] + bk], b[lo[3] + bk]);
    let b_hi = vec4<f32>(b[hi[0] + bk], b[hi[1] + bk], b[hi[2] + bk], b[hi[3] + bk]);
    let ak = k * params.a_sk;
    var a_mine: array<f32, 4>;
    for (var q = 0u; q < ROWS / SG; q++) {
      a_mine[q] = a[mine[q] + ak];
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
      for (var s = 0u; s < 8u; s++) {
        let j = j0 + s * SG;
        if (j < params.N) {
          var x: f32;
          if (s < 4u) {
            x = acc_lo[r][s];
          } else {
            x = acc_hi[r][s - 4u];
          }
          c[c0 + i * params.c_si + j * params.c_sj] = params.alpha * x;
        }
      }
    }
  }
}
