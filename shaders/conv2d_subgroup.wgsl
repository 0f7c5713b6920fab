// conv2d forward, variant "subgroup": the implicit GEMM of conv2d.wgsl (rows m = (n, oy, ox) output pixels,
// columns oc, K = KH*KW*C taps) tiled as matmul_subgroup, turned around for the few output channels of a CNN:
// a subgroup's lanes take different pixels (ROWS each) and share the 4 * CV weights of each tap
// (include/conv2d_share.wgsl), so per tap an invocation loads ROWS values of x and NQ weights for 4 * CV * ROWS
// multiply-adds (10 loads per 128 with 8 lanes, ROWS = 8, CV = 4). Each row's gather offset is worked out once
// per (ky, kx). Needs the 'subgroups' feature and one fixed subgroup size; prepareConv2d falls back to "gather".
// Bindings: params (include/conv2d_common.wgsl), x, w, bias (read when HAS_BIAS), y.
// Overrides: ACT, HAS_BIAS; SG, ROWS (1..16), CV (1..4, ROWS * CV <= 32); WG_Y (subgroups per workgroup).
// Dispatch: (ceil(OC / (4 * CV)), ceil(N*OH*OW / (SG * ROWS * WG_Y))).
// Reference: conv2dForward in src/reference/conv2d.ts.
enable subgroups;
//#include conv2d_common
//#include conv2d_share
//#include activations

override ACT: u32 = 0u;
override HAS_BIAS: bool = false;
override WG_Y: u32 = 1u;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(SG, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.N * params.OH * params.OW;
  let m0 = (wid.y * WG_Y + lid.y) * SG * ROWS + lid.x;
  let j0 = wid.x * 4u * CV;
  let taps = params.KH * params.KW;
  // w's offset of this lane's shares of the block's channels, at tap (0, 0) of channel 0.
  var wo: array<u32, 4>;
  for (var q = 0u; q * SG < 4u * CV; q++) {
    wo[q] = share_col(j0, lid.x, q, params.OC) * params.C * taps;
  }
  // Each row's image offset in x and the input coordinates of its tap (0, 0); rows past M compute on the last.
  var img: array<u32, 16>;
  var py: array<i32, 16>;
  var px: array<i32, 16>;
  for (var r = 0u; r < ROWS; r++) {
    let p = unflatten3(min(m0 + r * SG, M - 1u), params.OH, params.OW);
    img[r] = p.x * params.H;
    py[r] = in_coord(p.y, 0u, params.stride_h, 0u, params.pad_top);
    px[r] = in_coord(p.z, 0u, params.stride_w, 0u, params.pad_left);
  }
  var acc: array<vec4<f32>, 32>;
  for (var ky = 0u; ky < params.KH; ky++) {
    for (var kx = 0u; kx < params.KW; kx++) {
      var base: array<u32, 16>;
      var inside: array<bool, 16>;
      for (var r = 0u; r < ROWS; r++) {
        let iy = py[r] + i32(ky * params.dil_h);
        let ix = px[r] + i32(kx * params.dil_w);
        inside[r] = iy >= 0 && iy < i32(params.H) && ix >= 0 && ix < i32(params.W);
        base[r] = select(0u, ((img[r] + u32(iy)) * params.W + u32(ix)) * params.C, inside[r]);
      }
      var wi = ky * params.KW + kx;
      for (var c = 0u; c < params.C; c++) {
        var mine: array<f32, 4>;
        for (var q = 0u; q * SG < 4u * CV; q++) {
          mine[q] = w[wo[q] + wi];
        }
        wi += taps;
        let b = share_cols(mine);
        for (var r = 0u; r < ROWS; r++) {
          let av = select(0.0, x[base[r] + c], inside[r]);
          for (var v = 0u; v < CV; v++) {
            acc[r * CV + v] += av * b[v];
          }
        }
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let m = m0 + r * SG;
    for (var s = 0u; s < 4u * CV; s++) {
      let oc = j0 + s;
      if (m < M && oc < params.OC) {
        var v = acc[r * CV + s / 4u][s % 4u];
        if (HAS_BIAS) {
          v += bias[oc];
        }
        y[m * params.OC + oc] = act_forward(ACT, v, params.slope);
      }
    }
  }
}
