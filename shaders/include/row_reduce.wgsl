// Sum across a 1-D workgroup of WG invocations, for kernels where one workgroup owns one row.
// The including shader declares `override WG: u32` (a power of two; the wrappers pass 64).
// It has barriers: call it from workgroup-uniform control flow, from every invocation. All of them get the total.
// vec4 so that one call reduces up to four quantities at once.
var<workgroup> row_red: array<vec4<f32>, WG>;

fn row_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
  row_red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      row_red[lid] = row_red[lid] + row_red[lid + s];
    }
    workgroupBarrier();
  }
  let total = row_red[0];
  // A second call may overwrite row_red only once every invocation has read the total.
  workgroupBarrier();
  return total;
}

// The row a workgroup owns when rows are dispatched on a 2-D grid (gridFor(B) in src/kernels/grid.ts).
fn row_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}
