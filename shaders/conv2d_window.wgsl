// conv2d, variant "window": y[n, oy, ox, o] = act(bias[o] + sum over (ky, kx, i) of
// x[n, oy * stride_h - pad_top + ky * dil_h, ox * SW - pad_left + kx, i] * W(o, i, ky, kx)), taps outside x read zero.
// Each invocation computes R horizontally adjacent output pixels (a strip) x 4 * CV output channels. Per kernel row
// ky and input channel i it loads the strip's input row segment once, (R - 1) * SW + KW values, and uses each for
// every tap that reads it: LeNet's 5x5 reads 12 values per row for 8 pixels instead of 40. KW and SW are compiled
// in, so the taps unroll and the segment stays in registers. A subgroup's lanes take different strips of one
// channel block and need the same KW * 4 * CV weights per (ky, i): each lane loads its share and takes the rest
// from its neighbours by subgroupShuffle (on llvmpipe every storage load is a loop over the lanes). W is read
// through index strides, W(o, i, ky, kx) = w[w_base + o * w_so + i * w_si + ky * w_sy + kx * w_sx]: the forward
// passes w [OC, C, KH, KW] as is; the input gradient of a stride-1 convolution is this kernel over dy with w
// flipped and transposed (no copy of w). Needs the 'subgroups' feature and one fixed subgroup size SG.
// Bindings: params (below), x (read), w (read), bias (read when HAS_BIAS), y (overwritten).
// Overrides: ACT, HAS_BIAS; KW (1..7), SW (1..2); R (1..8); CV (1..4; the wrapper uses 1..2); SG; WG_Y (subgroups per
//   workgroup).
// Dispatch: (ceil(N * OH * strips / (SG * WG_Y)), ceil(OC / (4 * CV))), strips = ceil(OW / R).
// Reference: conv2dForward and conv2dBackward (dx) in src/reference/conv2d.ts.
enable subgroups;
//#include activations

override ACT: u32 = 0u;
override HAS_BIAS: bool = false;
override KW: u32 = 5u;
override SW: u32 = 1u;
override R: u32 = 8u;
override CV: u32 = 2u;
override SG: u32 = 8u;
override WG_Y: u32 = 8u;

struct Params {
  N: u32,
  H: u32,
  W: u32,
  C: u32,
  OC: u32,
  KH: u32,
  OH: u32,
  OW: u32,
  stride_h: u32,
  dil_h: u32,
  // Signed: the input gradient's padding, (KH - 1) * dil_h - pad_top, can be negative.
  pad_top: i32,
  pad_left: i32,
  strips: u32,
  w_base: i32,
  w_so: i32,
  w_si: i32,
  w_sy: i32,
  w_sx: i32,
  slope: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(SG, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  // No early return: every lane takes part in the shuffles. Strips past the last compute on it, never stored.
  let total = params.N * params.OH * params.strips;
  let strip = (wid.x * WG_Y + lid.y) * SG + lid.x;
  let s = min(strip, total - 1u);
  let n = s / (params.OH * params.strips);
  let oy = (s / params.strips) % params.OH;
  let ox0 = (s % params.strips) * R;
  let o0 = wid.y * 4u * CV;
  let span = (R - 1u) * SW + KW;
  // The segment's columns: in the image or not, and their offsets in a row of x.
  let ix0 = i32(ox0 * SW) - params.pad_left;
  var col: array<u32, 24>;
  var col_in: array<bool, 24>;
  for (var j = 0u; j < span; j++) {
    let ix = ix0 + i32(j);
    col_in[j] = ix >= 0 && ix < i32(params.W);
    col[j] = select(0u, u32(ix) * params.C, col_in[j]);
  }
  var acc: array<vec4<f32>, 32>;
  for (var ky = 0u; ky < params.KH; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    let row_in = iy >= 0 && iy < i32(params.H);
    let row = select(0u, (n * params.H + u32(iy)) * params.W * params.C, row_in);
    for (var i = 0u; i < params.C; i++) {
      var seg: array<f32, 24>;
      for (var j = 0u; j < span; j++) {
        let inside = row_in && col_in[j];
        seg[j] = select(0.0, x[select(0u, row + col[j] + i, inside)], inside);
      }
      // This lane's share of the row's weights: value t = kx * 4 * CV + j is loaded by lane t % SG as share t / SG.
      let wi = params.w_base + i32(i) * params.w_si + i32(ky) * params.w_sy;
      var mine: array<f32, 16>;
      for (var q = 0u; q * SG < KW * 4u * CV; q++) {
        let t = min(q * SG + lid.x, KW * 4u * CV - 1u);
        let o = min(o0 + t % (4u * CV), params.OC - 1u);
        mine[q] = w[u32(wi + i32(t / (4u * CV)) * params.w_sx + i32(o) * params.w_so)];
      }
      for (var kx = 0u; kx < KW; kx++) {
        var b: array<vec4<f32>, 4>;
        for (var j = 0u; j < 4u * CV; j++) {
          let t = kx * 4u * CV + j;
          b[j / 4u][j % 4u] = subgroupShuffle(mine[t / SG], t % SG);
        }
        for (var r = 0u; r < R; r++) {
          let a = seg[r * SW + kx];
          for (var v = 0u; v < CV; v++) {
            acc[r * CV + v] += a * b[v];
          }
        }
      }
    }
  }
  let m0 = (n * params.OH + oy) * params.OW + ox0;
  for (var r = 0u; r < R; r++) {
    for (var j = 0u; j < 4u * CV; j++) {
      let o = o0 + j;
      if (strip < total && ox0 + r < params.OW && o < params.OC) {
        var v = acc[r * CV + j / 4u][j % 4u];
        if (HAS_BIAS) {
          v += bias[o];
        }
        y[(m0 + r) * params.OC + o] = act_forward(ACT, v, params.slope);
      }
    }
  }
}
