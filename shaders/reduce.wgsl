// Column sums of a row-major x [B, N] (the bias gradient: the sum of dy over the batch).
//   sum_rows: out[j] = sum_i x[i, j]                                                   (overwritten)
// Bindings: params (uniform: B, N), x (read), out (read_write).
// Overrides: WG_X (columns per workgroup, default 32), WG_Y (lanes per column, a power of two, default 8).
// Dispatch: gridFor(ceil(N / WG_X)) workgroups (src/kernels/grid.ts).
// Reference: sumRows in src/reference/reduce.ts.
//#include col_reduce

override WG_X: u32 = 32u;
override WG_Y: u32 = 8u;

struct Params {
  B: u32,
  N: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_X, WG_Y)
fn sum_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = col_of(wid, nwg, lid);
  var acc = 0.0;
  if (j < params.N) {
    for (var i = lid.y; i < params.B; i += WG_Y) {
      acc += x[i * params.N + j];
    }
  }
  let total = col_sum(lid, vec2<f32>(acc, 0.0)).x;
  if (lid.y == 0u && j < params.N) {
    out[j] = total;
  }
}
