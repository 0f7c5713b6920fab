// conv2d's weight gradient, variant "subgroup": dw[oc, c, ky, kx] = sum over the output pixels p of
// dy[p, oc] * x[n, iy, ix, c] as in conv2d_grad_weight.wgsl (rows the taps t = (c, ky, kx) in w's order, columns
// oc, K the pixels of the split [split * p_chunk, min(P, (split + 1) * p_chunk)), split = workgroup_id.z), tiled as
// conv2d_subgroup: a subgroup's lanes take different taps (ROWS each, SG apart) and share the 4 * CV values of dy
// of each pixel (include/conv2d_share.wgsl), so per pixel an invocation loads ROWS values of x and NQ of dy for
// 4 * CV * ROWS multiply-adds. A pixel's part of the gather is the same in every lane, a tap's part is worked out
// once. Writes dw_part[split, oc, c, ky, kx] (dw itself with one split; several are summed by sum_rows).
// Bindings: params (include/conv2d_common.wgsl; slope unused), x, dy, dw_part (overwritten).
// Overrides: SG, ROWS (1..16), CV (1..4, ROWS * CV <= 32); WG_Y (subgroups per workgroup).
// Dispatch: (ceil(OC / (4 * CV)), ceil(C*KH*KW / (SG * ROWS * WG_Y)), splits).
// Reference: conv2dBackward (dw) in src/reference/conv2d.ts.
enable subgroups;
//#include conv2d_common
//#include conv2d_share

override WG_Y: u32 = 1u;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw_part: array<f32>;

@compute @workgroup_size(SG, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let taps = params.C * params.KH * params.KW;
  let t0 = (wid.y * WG_Y + lid.y) * SG * ROWS + lid.x;
  let j0 = wid.x * 4u * CV;
  // Each row's tap: its channel and its offsets from a pixel's tap (0, 0); rows past the last compute on it.
  var tc: array<u32, 16>;
  var ty: array<i32, 16>;
  var tx: array<i32, 16>;
  for (var r = 0u; r < ROWS; r++) {
    let t = unflatten3(min(t0 + r * SG, taps - 1u), params.KH, params.KW);
    tc[r] = t.x;
    ty[r] = i32(t.y * params.dil_h);
    tx[r] = i32(t.z * params.dil_w);
  }
  var cols: array<u32, 4>;
  for (var q = 0u; q * SG < 4u * CV; q++) {
    cols[q] = share_col(j0, lid.x, q, params.OC);
  }
  let P = params.N * params.OH * params.OW;
  let p_begin = wid.z * params.p_chunk;
  let p_end = min(P, p_begin + params.p_chunk);
  var acc: array<vec4<f32>, 32>;
  // The pixel's (n, oy, ox) steps along with p: a division per pixel costs a scalar division per lane on llvmpipe.
  var pix = unflatten3(min(p_begin, P - 1u), params.OH, params.OW);
  for (var p = p_begin; p < p_end; p++) {
    let uy = in_coord(pix.y, 0u, params.stride_h, 0u, params.pad_top);
    let ux = in_coord(pix.z, 0u, params.stride_w, 0u, params.pad_left);
    var mine: array<f32, 4>;
    for (var q = 0u; q * SG < 4u * CV; q++) {
      mine[q] = dy[p * params.OC + cols[q]];
    }
    let b = share_cols(mine);
    for (var r = 0u; r < ROWS; r++) {
      let iy = uy + ty[r];
      let ix = ux + tx[r];
      let inside = iy >= 0 && iy < i32(params.H) && ix >= 0 && ix < i32(params.W);
      let xi = select(0u, ((pix.x * params.H + u32(iy)) * params.W + u32(ix)) * params.C + tc[r], inside);
      let av = select(0.0, x[xi], inside);
      for (var v = 0u; v < CV; v++) {
        acc[r * CV + v] += av * b[v];
      }
    }
    pix = next_pixel(pix);
  }
  let part = wid.z * params.OC * taps;
  for (var r = 0u; r < ROWS; r++) {
    let t = t0 + r * SG;
    for (var s = 0u; s < 4u * CV; s++) {
      let oc = j0 + s;
      if (t < taps && oc < params.OC) {
        dw_part[part + oc * taps + t] = acc[r * CV + s / 4u][s % 4u];
      }
    }
  }
}
