// Matmul variant "vec4": C = act(op(A) . op(B) + bias) with every load and store a vec4, for A untransposed
// and K, N multiples of 4 (prepareMatmul uses "wide" for other products). Each invocation computes 4 rows by
// 4 adjacent columns of C; per 4 values of k it loads 4 vec4s of A (one per row) and 4 of B, and does 64
// multiply-adds: 16 vec4 FMAs when B is untransposed (rows of B along j), 16 dot products when TRANS_B
// (rows of B^T along k). Neighbouring invocations load neighbouring vec4s of B.
// Bindings: params (uniform, as include/matmul_common.wgsl), a, b, bias (read, vec4), c (read_write, vec4).
// Overrides: ACT, HAS_BIAS, TRANS_B; WG_X, WG_Y (workgroup size, default 8 x 8: 32 x 32 of C).
// Dispatch: (ceil(N / (4 * WG_X)), ceil(M / (4 * WG_Y))).
// Reference: matmul in src/reference/matmul.ts.
//#include activations

override ACT: u32 = 0u;
override HAS_BIAS: bool = false;
override TRANS_B: bool = false;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  a_si: u32,
  a_sk: u32,
  b_sk: u32,
  b_sj: u32,
  slope: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> c: array<vec4<f32>>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j0 = gid.x * 4u;
  let i0 = gid.y * 4u;
  if (i0 >= params.M || j0 >= params.N) {
    return;
  }
  let K4 = params.K / 4u;
  let N4 = params.N / 4u;
  let last_i = params.M - 1u;
  var rows: vec4<u32>;
  for (var t = 0u; t < 4u; t++) {
    rows[t] = min(i0 + t, last_i) * K4;
  }
  var acc: array<vec4<f32>, 4>;
  for (var q = 0u; q < K4; q++) {
    var bq: array<vec4<f32>, 4>;
    if (TRANS_B) {
      // b holds B^T [N, K]: row j of B^T along k.
      for (var s = 0u; s < 4u; s++) {
        bq[s] = b[(j0 + s) * K4 + q];
      }
    } else {
      // b holds B [K, N]: rows 4q..4q+3 of B at columns j0..j0+3.
      for (var s = 0u; s < 4u; s++) {
        bq[s] = b[(4u * q + s) * N4 + gid.x];
      }
    }
    for (var r = 0u; r < 4u; r++) {
      let av = a[rows[r] + q];
      if (TRANS_B) {
        acc[r] += vec4<f32>(dot(av, bq[0]), dot(av, bq[1]), dot(av, bq[2]), dot(av, bq[3]));
      } else {
        acc[r] += av.x * bq[0] + av.y * bq[1] + av.z * bq[2] + av.w * bq[3];
      }
    }
  }
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r;
    if (i < params.M) {
      var v = acc[r];
      if (HAS_BIAS) {
        v += bias[gid.x];
      }
      for (var s = 0u; s < 4u; s++) {
        v[s] = act_forward(ACT, v[s], params.slope);
      }
      c[i * N4 + gid.x] = v;
    }
  }
}
