// conv2d's weight gradient as the transposed product, deterministic, no atomics:
// dw[oc, c, ky, kx] = sum over the P = N*OH*OW output pixels p = (n, oy, ox) of dy[p, oc] * x[n, iy, ix, c]
// (zero where the tap is in the padding). Rows are the taps r = (c, ky, kx) in w's order, columns oc; each
// invocation computes ROWS taps (every WG_Y-th of its workgroup's tile) x 4 consecutive output channels over the
// pixels [split * p_chunk, min(P, (split + 1) * p_chunk)) of its split, split = workgroup_id.z, and writes
// dw_part[split, oc, c, ky, kx]; with one split dw_part is dw, with several the splits are summed by sum_rows.
// Bindings: params (include/conv2d_common.wgsl; slope unused), x, dy, dw_part (overwritten).
// Overrides: ROWS (1..16); WG_X, WG_Y (workgroup size).
// Dispatch: (ceil(OC / (4 * WG_X)), ceil(C*KH*KW / (ROWS * WG_Y)), splits).
// Reference: conv2dBackward (dw) in src/reference/conv2d.ts.
//#include conv2d_common

override ROWS: u32 = 4u;
override WG_X: u32 = 1u;
override WG_Y: u32 = 64u;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw_part: array<f32>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let taps = params.C * params.KH * params.KW;
  let r0 = wid.y * ROWS * WG_Y + lid.y;
  let j0 = (wid.x * WG_X + lid.x) * 4u;
  if (r0 >= taps || j0 >= params.OC) {
    return;
  }
  // Out-of-range taps and channels compute on the last valid one (clamped) and are never stored.
  let cols = clamped4(j0, params.OC);
  var tap_of: array<vec3<u32>, 16>; // (c, ky, kx)
  for (var r = 0u; r < ROWS; r++) {
    tap_of[r] = unflatten3(min(r0 + r * WG_Y, taps - 1u), params.KH, params.KW);
  }
  let P = params.N * params.OH * params.OW;
  let p_begin = wid.z * params.p_chunk;
  let p_end = min(P, p_begin + params.p_chunk);
  var acc: array<vec4<f32>, 16>;
  var pix = unflatten3(p_begin, params.OH, params.OW); // (n, oy, ox), stepped without a division per pixel
  for (var p = p_begin; p < p_end; p++) {
    let g = p * params.OC;
    let bv = vec4<f32>(dy[g + cols[0]], dy[g + cols[1]], dy[g + cols[2]], dy[g + cols[3]]);
    for (var r = 0u; r < ROWS; r++) {
      let iy = in_coord(pix.y, tap_of[r].y, params.stride_h, params.dil_h, params.pad_top);
      let ix = in_coord(pix.z, tap_of[r].z, params.stride_w, params.dil_w, params.pad_left);
      let inside = iy >= 0 && iy < i32(params.H) && ix >= 0 && ix < i32(params.W);
      let xi = select(0u, ((pix.x * params.H + u32(iy)) * params.W + u32(ix)) * params.C + tap_of[r].x, inside);
      acc[r] += select(0.0, x[xi], inside) * bv;
    }
    pix = next_pixel(pix);
  }
  let part = wid.z * params.OC * taps;
  for (var r = 0u; r < ROWS; r++) {
    let tap = r0 + r * WG_Y;
    if (tap < taps) {
      for (var s = 0u; s < 4u; s++) {
        let oc = j0 + s;
        if (oc < params.OC) {
          dw_part[part + oc * taps + tap] = acc[r][s];
        }
      }
    }
  }
}
