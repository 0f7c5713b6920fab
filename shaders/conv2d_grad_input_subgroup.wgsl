// conv2d's input gradient, variant "subgroup": the transposed convolution in gather form of
// conv2d_grad_input.wgsl (rows q = (n, iy, ix) input pixels, columns c, K = KH*KW*OC; tap (ky, kx) of output
// pixel oy = (iy + pad_top - ky * dil_h) / stride_h, when exact and in range, read (iy, ix)), tiled as
// conv2d_subgroup: a subgroup's lanes take different pixels (ROWS each, SG apart) and share the 4 * CV weights
// w[oc, c.., ky, kx] of each (tap, oc) (include/conv2d_share.wgsl), so per (tap, oc) an invocation loads ROWS
// values of dy and NQ weights for 4 * CV * ROWS multiply-adds. Each row's source pixel is worked out once per tap.
// Bindings: params (include/conv2d_common.wgsl; slope unused), dy, w, dx (overwritten).
// Overrides: SG, ROWS (1..16), CV (1..4, ROWS * CV <= 32); WG_Y (subgroups per workgroup); SH, SW (fixed strides).
// Dispatch: (ceil(C / (4 * CV)), ceil(N*H*W / (SG * ROWS * WG_Y))).
// Reference: conv2dBackward (dx) in src/reference/conv2d.ts.
enable subgroups;
//#include conv2d_common
//#include conv2d_share

override WG_Y: u32 = 1u;
// Strides fixed when the pipeline is made (0: params' stride), so the exactness test and the division fold to shifts:
// llvmpipe splits a vector division by a run-time value into one per lane.
override SH: u32 = 0u;
override SW: u32 = 0u;

@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// The output coordinate whose tap read input coordinate t - k * dil (t = input coordinate + padding), or -1.
fn source(t: i32, k: u32, stride: u32, dil: u32, size: u32) -> i32 {
  let d = t - i32(k * dil);
  if (d < 0 || u32(d) % stride != 0u || u32(d) / stride >= size) {
    return -1;
  }
  return i32(u32(d) / stride);
}

@compute @workgroup_size(SG, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.N * params.H * params.W;
  let q0 = (wid.y * WG_Y + lid.y) * SG * ROWS + lid.x;
  let j0 = wid.x * 4u * CV;
  let taps = params.KH * params.KW;
  let oc_stride = params.C * taps; // w's step from output channel oc to oc + 1
  // w's offset of this lane's shares of the block's channels, at output channel 0 and tap (0, 0).
  var wo: array<u32, 4>;
  for (var q = 0u; q * SG < 4u * CV; q++) {
    wo[q] = share_col(j0, lid.x, q, params.C) * taps;
  }
  // Each row's image (in dy's rows) and its padded input coordinates; rows past M compute on the last.
  var img: array<u32, 16>;
  var ty: array<i32, 16>;
  var tx: array<i32, 16>;
  for (var r = 0u; r < ROWS; r++) {
    let p = unflatten3(min(q0 + r * SG, M - 1u), params.H, params.W);
    img[r] = p.x * params.OH;
    ty[r] = i32(p.y + params.pad_top);
    tx[r] = i32(p.z + params.pad_left);
  }
  var acc: array<vec4<f32>, 32>;
  for (var ky = 0u; ky < params.KH; ky++) {
    for (var kx = 0u; kx < params.KW; kx++) {
      var base: array<u32, 16>;
      var hit: array<bool, 16>;
      for (var r = 0u; r < ROWS; r++) {
        let oy = source(ty[r], ky, select(params.stride_h, SH, SH != 0u), params.dil_h, params.OH);
        let ox = source(tx[r], kx, select(params.stride_w, SW, SW != 0u), params.dil_w, params.OW);
        hit[r] = oy >= 0 && ox >= 0;
        base[r] = select(0u, ((img[r] + u32(oy)) * params.OW + u32(ox)) * params.OC, hit[r]);
      }
      var wi = ky * params.KW + kx;
      for (var oc = 0u; oc < params.OC; oc++) {
        var mine: array<f32, 4>;
        for (var q = 0u; q * SG < 4u * CV; q++) {
          mine[q] = w[wo[q] + wi];
        }
        wi += oc_stride;
        let b = share_cols(mine);
        for (var r = 0u; r < ROWS; r++) {
          let av = select(0.0, dy[base[r] + oc], hit[r]);
          for (var v = 0u; v < CV; v++) {
            acc[r * CV + v] += av * b[v];
          }
        }
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let q = q0 + r * SG;
    for (var s = 0u; s < 4u * CV; s++) {
      let c = j0 + s;
      if (q < M && c < params.C) {
        dx[q * params.C + c] = acc[r * CV + s / 4u][s % 4u];
      }
    }
  }
}
