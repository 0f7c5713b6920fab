// Shared by the conv2d shaders: the geometry as a uniform, and the tap arithmetic. Tensors are NHWC
// (x [N, H, W, C], y and dy [N, OH, OW, OC]); w is PyTorch's [OC, C, KH, KW]. Output pixel (oy, ox) and tap
// (ky, kx) read input pixel iy = oy * stride_h - pad_top + ky * dil_h, ix = ox * stride_w - pad_left + kx * dil_w;
// taps outside the image read zero. Reference: src/reference/conv2d.ts.

struct Params {
  N: u32,
  H: u32,
  W: u32,
  C: u32,
  OC: u32,
  KH: u32,
  KW: u32,
  OH: u32,
  OW: u32,
  stride_h: u32,
  stride_w: u32,
  dil_h: u32,
  dil_w: u32,
  pad_top: u32,
  pad_left: u32,
  // Output pixels per split of the weight gradient (conv2d_grad_weight); unused by the others.
  p_chunk: u32,
  // Leaky ReLU's slope (the forward's epilogue); unused by the others.
  slope: f32,
}

@group(0) @binding(0) var<uniform> params: Params;

// Index of w[oc, c, ky, kx].
fn w_index(oc: u32, c: u32, ky: u32, kx: u32) -> u32 {
  return ((oc * params.C + c) * params.KH + ky) * params.KW + kx;
}

// Input coordinate of output coordinate o and tap k along one axis; negative or >= size when in the padding.
fn in_coord(o: u32, k: u32, stride: u32, dil: u32, pad: u32) -> i32 {
  return i32(o * stride + k * dil) - i32(pad);
}

// (outer, middle, inner) coordinates of flat index i over [*, mid, inner]: (n, y, x) of a pixel, (c, ky, kx) of a tap.
fn unflatten3(i: u32, mid: u32, inner: u32) -> vec3<u32> {
  return vec3<u32>(i / (mid * inner), (i / inner) % mid, i % inner);
}

// The 4 consecutive columns from j0 an invocation computes, clamped to the last of n (out-of-range ones are never stored).
fn clamped4(j0: u32, n: u32) -> vec4<u32> {
  return min(vec4<u32>(j0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(n - 1u));
}

// The output pixel (n, oy, ox) after `pix` in row-major order, without a division.
fn next_pixel(pix: vec3<u32>) -> vec3<u32> {
  var q = vec3<u32>(pix.x, pix.y, pix.z + 1u);
  if (q.z == params.OW) {
    q = vec3<u32>(q.x, q.y + 1u, 0u);
    if (q.y == params.OH) {
      q = vec3<u32>(q.x + 1u, 0u, 0u);
    }
  }
  return q;
}
