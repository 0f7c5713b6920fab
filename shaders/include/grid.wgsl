// Flat element index of a 1-D problem dispatched on a 2-D grid of workgroups, so that more than
// 65535 workgroups' worth of elements fit: x = min(groups, maxPerDim), y = ceil(groups / x).
// The host side is gridFor() in src/kernels/grid.ts.
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, wg_size: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * wg_size + lid.x;
}
