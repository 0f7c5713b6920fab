// conv2d forward, variant "gemm": the implicit GEMM y[m, oc] = act(bias[oc] + sum_k A[m, k] * B[k, oc]) tiled the
// way GPU libraries tile a matmul (include/conv2d_gemm_tile.wgsl), M = N*OH*OW output pixels m = (n, oy, ox),
// columns the OC output channels, K = KH*KW*C taps k = (ky, kx, c) (channel innermost, so the im2col gather reads
// NHWC x contiguously). A[m, k] = x[n, oy * stride_h - pad_top + ky * dil_h, ox * stride_w - pad_left + kx * dil_w, c]
// (zero in the padding) is gathered straight into workgroup memory, never into an im2col buffer;
// B[k, oc] = w[oc, c, ky, kx]. Bias and activation are fused into the store, as in conv2d.wgsl.
// Tile: 4 * WG_Y pixels x 4 * WG_X channels, a 4x4 register block per invocation; 16x16 invocations (a 64x64 tile)
// where OC >= 64, narrower column tiles and 128 pixels for fewer channels (see src/kernels/conv2d-gemm.ts). A 4x4
// block per invocation rather than 8x4 on a 128x64 tile: a CNN's OC (6 to 64 in the layers benchmarked) bounds the
// column side, so the row side is what feeds the GPU's cores; 64-pixel tiles make twice the workgroups, and 16
// accumulators plus 16 fetched values stay well inside a GPU's register file at 256 invocations.
// Workgroup memory: 2 buffers x BK x (BM + BN + 8) floats, 8.5 KiB at 64x64, 10.5 KiB at 128x32 (limit 16 KiB).
// Bindings: params (include/conv2d_common.wgsl), x, w, bias (read when HAS_BIAS), y.
// Overrides: ACT, HAS_BIAS; WG_X, WG_Y (include/conv2d_gemm_tile.wgsl).
// Dispatch: (ceil(OC / (4 * WG_X)), ceil(N*OH*OW / (4 * WG_Y))).
// Reference: conv2dForward in src/reference/conv2d.ts.
//#include conv2d_common
//#include activations
//#include conv2d_gemm_tile

override ACT: u32 = 0u;
override HAS_BIAS: bool = false;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

// Row slots (include/conv2d_gemm_tile.wgsl): row_at the pixel's image n * H, row_y and row_x its tap-(0, 0) input
// coordinates; col_at the output channel's first weight.
// The current k: its tap's offsets and channel, and its weight offset within an output channel.
var<private> k_y: i32;
var<private> k_x: i32;
var<private> k_c: u32;
var<private> k_w: u32;

fn gemm_rows() -> u32 {
  return params.N * params.OH * params.OW;
}

fn gemm_cols() -> u32 {
  return params.OC;
}

fn gemm_k_range(split: u32) -> vec2<u32> {
  return vec2<u32>(0u, params.KH * params.KW * params.C);
}

fn gemm_row(s: u32, m: u32) {
  row_ok[s] = m < gemm_rows();
  let p = unflatten3(min(m, gemm_rows() - 1u), params.OH, params.OW);
  row_at[s] = p.x * params.H;
  row_y[s] = in_coord(p.y, 0u, params.stride_h, 0u, params.pad_top);
  row_x[s] = in_coord(p.z, 0u, params.stride_w, 0u, params.pad_left);
}

fn gemm_col(s: u32, j: u32) {
  col_at[s] = min(j, params.OC - 1u) * params.C * params.KH * params.KW;
}

fn gemm_set_k(k: u32) {
  let t = unflatten3(k, params.KW, params.C); // (ky, kx, c)
  k_y = i32(t.x * params.dil_h);
  k_x = i32(t.y * params.dil_w);
  k_c = t.z;
  k_w = w_index(0u, t.z, t.x, t.y);
}

fn gemm_a(s: u32) -> f32 {
  let iy = row_y[s] + k_y;
  let ix = row_x[s] + k_x;
  let inside = row_ok[s] && iy >= 0 && iy < i32(params.H) && ix >= 0 && ix < i32(params.W);
  let i = ((row_at[s] + u32(iy)) * params.W + u32(ix)) * params.C + k_c;
  return select(0.0, x[select(0u, i, inside)], inside);
}

fn gemm_b(s: u32) -> f32 {
  return w[col_at[s] + k_w];
}

fn gemm_store(m: u32, oc: u32, v: f32) {
  var r = v;
  if (HAS_BIAS) {
    r += bias[oc];
  }
  y[m * params.OC + oc] = act_forward(ACT, r, params.slope);
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  gemm_run(wid, lid);
}
