// Plain gradient descent over the whole parameter arena in one dispatch: theta <- theta - lr g,
// with g the clipped, weight-decayed gradient (include/optim_common.wgsl).
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl).
// Overrides: WG (workgroup size, default 256), DECOUPLED.
// Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts); each invocation updates 4 elements.
// Reference: sgdStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let g = prepared_grad(i);
  theta[i] = stepped(i, step_lr_of(i) * g);
}
