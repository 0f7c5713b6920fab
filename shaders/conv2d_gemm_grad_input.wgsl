// conv2d's input gradient, variant "gemm": the transposed convolution as an implicit GEMM in gather form (no
// atomics, deterministic), tiled as in include/conv2d_gemm_tile.wgsl. Rows are the N*H*W input pixels q = (n, iy, ix),
// columns the C input channels, K = KH*KW*OC with k = (ky, kx, oc) (output channel innermost, contiguous in dy):
// dx[q, c] = sum_k A[q, k] * B[k, c] with B[k, c] = w[oc, c, ky, kx] (w transposed, read in place) and
// A[q, k] = dy[n, oy, ox, oc] where oy = (iy + pad_top - ky * dil_h) / stride_h when that division is exact and
// 0 <= oy < OH (likewise ox), else zero: taps that do not land on an output pixel contribute nothing.
// Tile and workgroup memory as conv2d_gemm.wgsl, with C in place of OC.
// Bindings: params (include/conv2d_common.wgsl; slope unused), dy, w, dx (overwritten).
// Overrides: WG_X, WG_Y (include/conv2d_gemm_tile.wgsl); SH, SW (strides fixed in the pipeline, 0: params').
// Dispatch: (ceil(C / (4 * WG_X)), ceil(N*H*W / (4 * WG_Y))).
// Reference: conv2dBackward (dx) in src/reference/conv2d.ts.
//#include conv2d_common
//#include conv2d_gemm_tile

// Strides compiled in when 1 or 2, so the exactness test and the division fold to shifts.
override SH: u32 = 0u;
override SW: u32 = 0u;

@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// Row slots (include/conv2d_gemm_tile.wgsl): row_at the pixel's image n * OH, row_y and row_x its iy + pad_top and
// ix + pad_left; col_at the input channel's offset in w.
// The current k: its tap's offsets, output channel, and weight offset.
var<private> k_y: i32;
var<private> k_x: i32;
var<private> k_oc: u32;
var<private> k_w: u32;

fn gemm_rows() -> u32 {
  return params.N * params.H * params.W;
}

fn gemm_cols() -> u32 {
  return params.C;
}

fn gemm_k_range(split: u32) -> vec2<u32> {
  return vec2<u32>(0u, params.KH * params.KW * params.OC);
}

fn gemm_row(s: u32, q: u32) {
  row_ok[s] = q < gemm_rows();
  let p = unflatten3(min(q, gemm_rows() - 1u), params.H, params.W);
  row_at[s] = p.x * params.OH;
  row_y[s] = i32(p.y + params.pad_top);
  row_x[s] = i32(p.z + params.pad_left);
}

fn gemm_col(s: u32, j: u32) {
  col_at[s] = min(j, params.C - 1u) * params.KH * params.KW;
}

fn gemm_set_k(k: u32) {
  let t = unflatten3(k, params.KW, params.OC); // (ky, kx, oc)
  k_y = i32(t.x * params.dil_h);
  k_x = i32(t.y * params.dil_w);
  k_oc = t.z;
  k_w = w_index(t.z, 0u, t.x, t.y);
}

// The output coordinate whose tap (offset d = k * dil) read padded input coordinate t, or -1 when none did.
fn landed(t: i32, d: i32, stride: u32, size: u32) -> i32 {
  let u = t - d;
  if (u < 0 || u32(u) % stride != 0u || u32(u) / stride >= size) {
    return -1;
  }
  return i32(u32(u) / stride);
}

fn gemm_a(s: u32) -> f32 {
  let oy = landed(row_y[s], k_y, select(params.stride_h, SH, SH != 0u), params.OH);
  let ox = landed(row_x[s], k_x, select(params.stride_w, SW, SW != 0u), params.OW);
  let hit = row_ok[s] && oy >= 0 && ox >= 0;
  let i = ((row_at[s] + u32(oy)) * params.OW + u32(ox)) * params.OC + k_oc;
  return select(0.0, dy[select(0u, i, hit)], hit);
}

fn gemm_b(s: u32) -> f32 {
  return w[col_at[s] + k_w];
}

fn gemm_store(q: u32, c: u32, v: f32) {
  dx[q * params.C + c] = v;
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  gemm_run(wid, lid);
}
