// conv2d forward as an implicit GEMM, no im2col buffer: y[m, oc] = act(bias[oc] + sum_k A[m, k] * B[k, oc]) for
// the M = N*OH*OW output pixels m = (n, oy, ox) and K = KH*KW*C taps k = (ky, kx, c), where A[m, k] is gathered
// from x (zero in the padding) and B[k, oc] = w[oc, c, ky, kx]. Register blocking as in matmul_wide: each
// invocation computes ROWS pixels (every WG_Y-th of its workgroup's tile) x 4 consecutive output channels, so each
// value of x loaded is used 4 times and each of w ROWS times; the gather's bounds are worked out once per
// (ky, kx) and row, not per multiply-add.
// Bindings: params (include/conv2d_common.wgsl), x, w, bias (read when HAS_BIAS), y.
// Overrides: ACT, HAS_BIAS; ROWS (1..16); WG_X, WG_Y (workgroup size).
// Dispatch: (ceil(OC / (4 * WG_X)), ceil(N*OH*OW / (ROWS * WG_Y))).
// Reference: conv2dForward in src/reference/conv2d.ts.
//#include conv2d_common
//#include activations

override ACT: u32 = 0u;
override HAS_BIAS: bool = false;
override ROWS: u32 = 8u;
override WG_X: u32 = 1u;
override WG_Y: u32 = 64u;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.N * params.OH * params.OW;
  let m0 = wid.y * ROWS * WG_Y + lid.y;
  let j0 = (wid.x * WG_X + lid.x) * 4u;
  if (m0 >= M || j0 >= params.OC) {
    return;
  }
  // Out-of-range pixels and channels compute on the last valid one (clamped) and are never stored.
  let cols = clamped4(j0, params.OC);
  var pix: array<vec3<u32>, 16>; // (n, oy, ox)
  for (var r = 0u; r < ROWS; r++) {
    pix[r] = unflatten3(min(m0 + r * WG_Y, M - 1u), params.OH, params.OW);
  }
  let tap_stride = params.KH * params.KW; // w's step from channel c to c + 1
  var acc: array<vec4<f32>, 16>;
  for (var ky = 0u; ky < params.KH; ky++) {
    for (var kx = 0u; kx < params.KW; kx++) {
      // Each row's pixel offset in x for this tap, and whether the tap lands inside the image.
      var base: array<u32, 16>;
      var inside: array<bool, 16>;
      for (var r = 0u; r < ROWS; r++) {
        let iy = in_coord(pix[r].y, ky, params.stride_h, params.dil_h, params.pad_top);
        let ix = in_coord(pix[r].z, kx, params.stride_w, params.dil_w, params.pad_left);
        inside[r] = iy >= 0 && iy < i32(params.H) && ix >= 0 && ix < i32(params.W);
        base[r] = select(0u, ((pix[r].x * params.H + u32(iy)) * params.W + u32(ix)) * params.C, inside[r]);
      }
      var wi = vec4<u32>(w_index(cols[0], 0u, ky, kx), w_index(cols[1], 0u, ky, kx), w_index(cols[2], 0u, ky, kx), w_index(cols[3], 0u, ky, kx));
      for (var c = 0u; c < params.C; c++) {
        let bv = vec4<f32>(w[wi[0]], w[wi[1]], w[wi[2]], w[wi[3]]);
        wi += vec4<u32>(tap_stride);
        for (var r = 0u; r < ROWS; r++) {
          let av = select(0.0, x[base[r] + c], inside[r]);
          acc[r] += av * bv;
        }
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let m = m0 + r * WG_Y;
    if (m < M) {
      for (var s = 0u; s < 4u; s++) {
        let oc = j0 + s;
        if (oc < params.OC) {
          var v = acc[r][s];
          if (HAS_BIAS) {
            v += bias[oc];
          }
          y[m * params.OC + oc] = act_forward(ACT, v, params.slope);
        }
      }
    }
  }
}
