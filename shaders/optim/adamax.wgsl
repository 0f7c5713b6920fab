// Adamax, over the whole arena in one dispatch, step_lr = lr / (1 - beta1^t) computed on the CPU in float64:
//   m <- beta1 m + (1 - beta1) g
//   PyTorch's epsilon: u <- max(beta2 u, |g| + eps);  theta <- theta - step_lr m / u
//   EPS_AFTER_MAX (TensorFlow / Keras): u <- max(beta2 u, |g|);  theta <- theta - step_lr m / (u + eps)
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), exp_avg, exp_inf.
// Overrides: WG, DECOUPLED, EPS_AFTER_MAX. Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: adamaxStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;
override EPS_AFTER_MAX: bool = false;

@group(0) @binding(6) var<storage, read_write> exp_avg: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> exp_inf: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let g = prepared_grad(i);
  let m = hp.beta1 * exp_avg[i] + hp.one_minus_beta1 * g;
  exp_avg[i] = m;
  if (EPS_AFTER_MAX) {
    let u = max(hp.beta2 * exp_inf[i], abs(g));
    exp_inf[i] = u;
    theta[i] = stepped(i, step_lr_of(i) * m / (u + hp.eps));
  } else {
    let u = max(hp.beta2 * exp_inf[i], abs(g) + hp.eps);
    exp_inf[i] = u;
    theta[i] = stepped(i, step_lr_of(i) * m / u);
  }
}
