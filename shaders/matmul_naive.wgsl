// Matmul variant "naive": one invocation per element of C, the K loop straight from global memory.
// The baseline every other variant is measured against, and the easiest to trust.
// Bindings, params and epilogue: include/matmul_common.wgsl.
// Overrides: ACT, HAS_BIAS; WG_X, WG_Y (workgroup size, default 16 x 16).
// Dispatch: (ceil(N / WG_X), ceil(M / WG_Y)).
// Reference: matmul in src/reference/matmul.ts.
//#include matmul_common

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let i = gid.y;
  if (i >= params.M || j >= params.N) {
    return;
  }
  var acc = 0.0;
  for (var k = 0u; k < params.K; k++) {
    acc += load_a(i, k) * load_b(k, j);
  }
  store_c(i, j, acc);
}
