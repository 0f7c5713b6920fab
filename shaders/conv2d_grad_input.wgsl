// conv2d's input gradient as a transposed convolution in gather form (deterministic, no atomics): each
// dx[n, iy, ix, c] sums dy[n, oy, ox, oc] * w[oc, c, ky, kx] over the (ky, kx, oc) whose tap read (iy, ix), i.e.
// oy = (iy + pad_top - ky * dil_h) / stride_h when that division is exact and 0 <= oy < OH (likewise ox). An
// implicit GEMM with rows q = (n, iy, ix), columns c and K = KH*KW*OC; each invocation computes ROWS pixels (every
// WG_Y-th of its workgroup's tile) x 4 consecutive channels, the source pixel worked out once per (ky, kx) and row.
// Bindings: params (include/conv2d_common.wgsl; slope unused), dy, w, dx (overwritten).
// Overrides: ROWS (1..16); WG_X, WG_Y (workgroup size); SH, SW (fixed strides).
// Dispatch: (ceil(C / (4 * WG_X)), ceil(N*H*W / (ROWS * WG_Y))).
// Reference: conv2dBackward (dx) in src/reference/conv2d.ts.
//#include conv2d_common

override ROWS: u32 = 8u;
override WG_X: u32 = 1u;
override WG_Y: u32 = 64u;
// Strides fixed when the pipeline is made (0: params' stride), so the exactness test and the division fold to shifts.
override SH: u32 = 0u;
override SW: u32 = 0u;

@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// The output coordinate whose tap k read input coordinate i along one axis, or -1 when no output's did.
fn out_coord(i: u32, k: u32, stride: u32, dil: u32, pad: u32, size: u32) -> i32 {
  let t = i32(i + pad) - i32(k * dil);
  if (t < 0 || u32(t) % stride != 0u || u32(t) / stride >= size) {
    return -1;
  }
  return i32(u32(t) / stride);
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.N * params.H * params.W;
  let q0 = wid.y * ROWS * WG_Y + lid.y;
  let c0 = (wid.x * WG_X + lid.x) * 4u;
  if (q0 >= M || c0 >= params.C) {
    return;
  }
  // Out-of-range pixels and channels compute on the last valid one (clamped) and are never stored.
  let chans = clamped4(c0, params.C);
  var pix: array<vec3<u32>, 16>; // (n, iy, ix)
  for (var r = 0u; r < ROWS; r++) {
    pix[r] = unflatten3(min(q0 + r * WG_Y, M - 1u), params.H, params.W);
  }
  let oc_stride = params.C * params.KH * params.KW; // w's step from output channel oc to oc + 1
  var acc: array<vec4<f32>, 16>;
  for (var ky = 0u; ky < params.KH; ky++) {
    for (var kx = 0u; kx < params.KW; kx++) {
      var base: array<u32, 16>;
      var hit: array<bool, 16>;
      for (var r = 0u; r < ROWS; r++) {
        let oy = out_coord(pix[r].y, ky, select(params.stride_h, SH, SH != 0u), params.dil_h, params.pad_top, params.OH);
        let ox = out_coord(pix[r].z, kx, select(params.stride_w, SW, SW != 0u), params.dil_w, params.pad_left, params.OW);
        hit[r] = oy >= 0 && ox >= 0;
        base[r] = select(0u, ((pix[r].x * params.OH + u32(oy)) * params.OW + u32(ox)) * params.OC, hit[r]);
      }
      var wi = vec4<u32>(w_index(0u, chans[0], ky, kx), w_index(0u, chans[1], ky, kx), w_index(0u, chans[2], ky, kx), w_index(0u, chans[3], ky, kx));
      for (var oc = 0u; oc < params.OC; oc++) {
        let bv = vec4<f32>(w[wi[0]], w[wi[1]], w[wi[2]], w[wi[3]]);
        wi += vec4<u32>(oc_stride);
        for (var r = 0u; r < ROWS; r++) {
          let av = select(0.0, dy[base[r] + oc], hit[r]);
          acc[r] += av * bv;
        }
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let q = q0 + r * WG_Y;
    if (q < M) {
      for (var s = 0u; s < 4u; s++) {
        let c = c0 + s;
        if (c < params.C) {
          dx[q * params.C + c] = acc[r][s];
        }
      }
    }
  }
}
