// Lion (Chen et al. 2023), over the whole arena in one dispatch, with decoupled weight decay:
//   c = beta1 m + (1 - beta1) g;  theta <- theta (1 - lr wd) - lr sign(c);  m <- beta2 m + (1 - beta2) g
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), exp_avg.
// Overrides: WG, DECOUPLED (always true for Lion). Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: lionStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;

@group(0) @binding(6) var<storage, read_write> exp_avg: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let g = prepared_grad(i);
  let c = hp.beta1 * exp_avg[i] + hp.one_minus_beta1 * g;
  theta[i] = stepped(i, step_lr_of(i) * sign(c));
  exp_avg[i] = hp.beta2 * exp_avg[i] + hp.one_minus_beta2 * g;
}
