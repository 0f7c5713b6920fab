// Column sums for kernels where a WG_X x WG_Y workgroup owns WG_X adjacent columns of a row-major [B, N]
// array: lane (x, y) takes column col_of(...) and rows y, y + WG_Y, y + 2 WG_Y, ..., so that neighbouring
// invocations read neighbouring addresses; the WG_Y partial sums of each column are then added in a tree.
// The including shader declares `override WG_X: u32` and `override WG_Y: u32` (WG_Y a power of two).
// col_sum has barriers: call it from workgroup-uniform control flow, from every invocation (including those
// whose column is past the end: they pass zeros). Every lane of a column gets the column's total.
var<workgroup> col_red: array<vec2<f32>, WG_X * WG_Y>;

fn col_sum(lid: vec3<u32>, v: vec2<f32>) -> vec2<f32> {
  let at = lid.y * WG_X + lid.x;
  col_red[at] = v;
  workgroupBarrier();
  for (var s = WG_Y / 2u; s > 0u; s = s / 2u) {
    if (lid.y < s) {
      col_red[at] = col_red[at] + col_red[at + s * WG_X];
    }
    workgroupBarrier();
  }
  let total = col_red[lid.x];
  workgroupBarrier();
  return total;
}

// The column of lane lid when ceil(N / WG_X) workgroups are dispatched on a 2-D grid (gridFor in src/kernels/grid.ts).
fn col_of(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG_X + lid.x;
}
