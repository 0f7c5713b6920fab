// Adamax (PyTorch's), over the whole arena in one dispatch:
//   m <- beta1 m + (1 - beta1) g;  u <- max(beta2 u, |g| + eps);  theta <- theta - lr / (1 - beta1^t) m / u
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), exp_avg, exp_inf.
// Overrides: WG, DECOUPLED. Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: adamaxStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;

@group(0) @binding(6) var<storage, read_write> exp_avg: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> exp_inf: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let lr = lr_of(i);
  let g = prepared_grad(i, lr);
  let m = hp.beta1 * exp_avg[i] + (1.0 - hp.beta1) * g;
  let u = max(hp.beta2 * exp_inf[i], abs(g) + hp.eps);
  exp_avg[i] = m;
  exp_inf[i] = u;
  theta[i] = theta[i] - lr / (1.0 - pow(hp.beta1, f32(hp.step))) * m / u;
}
