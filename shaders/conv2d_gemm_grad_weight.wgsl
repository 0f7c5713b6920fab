// conv2d's weight gradient, variant "gemm": dw = dy^T x-im2col as an implicit GEMM (include/conv2d_gemm_tile.wgsl)
// whose K is the long reduction over the P = N*OH*OW output pixels p = (n, oy, ox), tiled BK pixels at a time and
// accumulated in registers; no float atomics, so the result is the same on every run. The tile is the transposed
// product dw^T (rows the KH*KW*C taps t = (ky, kx, c), columns the OC output channels), the same GEMM as
// M = OC, N = taps with the narrow channel side on the tile's columns, as in the forward:
// dw[oc, c, ky, kx] = sum_p A[t, p] * B[p, oc], A[t, p] = x[n, oy * stride_h - pad_top + ky * dil_h,
// ox * stride_w - pad_left + kx * dil_w, c] (zero in the padding), B[p, oc] = dy[p, oc]. K is split in chunks of
// p_chunk pixels, split = workgroup_id.z, each writing dw_part[split, oc, c, ky, kx]; with one split dw_part is dw,
// with several sum_rows adds the splits (the same scratch and order as conv2d_grad_weight.wgsl).
// Tile and workgroup memory as conv2d_gemm.wgsl.
// Bindings: params (include/conv2d_common.wgsl; slope unused), x, dy, dw_part (overwritten).
// Overrides: WG_X, WG_Y (include/conv2d_gemm_tile.wgsl).
// Dispatch: (ceil(OC / (4 * WG_X)), ceil(C*KH*KW / (4 * WG_Y)), splits).
// Reference: conv2dBackward (dw) in src/reference/conv2d.ts.
//#include conv2d_common
//#include conv2d_gemm_tile

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw_part: array<f32>;

// Row slots (include/conv2d_gemm_tile.wgsl): row_at the tap's channel c, row_y and row_x its offsets
// ky * dil_h - pad_top and kx * dil_w - pad_left; col_at the output channel.
// The current k, an output pixel: its image (n * H), oy * stride_h, ox * stride_w, and its row of dy.
var<private> k_img: u32;
var<private> k_y: i32;
var<private> k_x: i32;
var<private> k_dy: u32;
// This workgroup's split of the pixels (workgroup_id.z): which partial sum it writes.
var<private> split_index: u32;

fn gemm_rows() -> u32 {
  return params.KH * params.KW * params.C;
}

fn gemm_cols() -> u32 {
  return params.OC;
}

fn gemm_k_range(split: u32) -> vec2<u32> {
  let begin = split * params.p_chunk;
  return vec2<u32>(begin, min(params.N * params.OH * params.OW, begin + params.p_chunk));
}

fn gemm_row(s: u32, t: u32) {
  row_ok[s] = t < gemm_rows();
  let tap = unflatten3(min(t, gemm_rows() - 1u), params.KW, params.C); // (ky, kx, c)
  row_y[s] = in_coord(0u, tap.x, 0u, params.dil_h, params.pad_top);
  row_x[s] = in_coord(0u, tap.y, 0u, params.dil_w, params.pad_left);
  row_at[s] = tap.z;
}

fn gemm_col(s: u32, j: u32) {
  col_at[s] = min(j, params.OC - 1u);
}

fn gemm_set_k(p: u32) {
  let o = unflatten3(p, params.OH, params.OW);
  k_img = o.x * params.H;
  k_y = i32(o.y * params.stride_h);
  k_x = i32(o.z * params.stride_w);
  k_dy = p * params.OC;
}

fn gemm_a(s: u32) -> f32 {
  let iy = k_y + row_y[s];
  let ix = k_x + row_x[s];
  let inside = row_ok[s] && iy >= 0 && iy < i32(params.H) && ix >= 0 && ix < i32(params.W);
  let i = ((k_img + u32(iy)) * params.W + u32(ix)) * params.C + row_at[s];
  return select(0.0, x[select(0u, i, inside)], inside);
}

fn gemm_b(s: u32) -> f32 {
  return dy[k_dy + col_at[s]];
}

fn gemm_store(t: u32, oc: u32, v: f32) {
  let tap = unflatten3(t, params.KW, params.C); // (ky, kx, c)
  let taps = gemm_rows();
  dw_part[split_index * params.OC * taps + w_index(oc, tap.z, tap.x, tap.y)] = v;
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  split_index = wid.z;
  gemm_run(wid, lid);
}
