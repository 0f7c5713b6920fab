// Adagrad, over the whole arena in one dispatch:
//   sum <- sum + g^2;  theta <- theta - clr g / (sqrt(sum) + eps)  (PyTorch's)
//   EPS_INSIDE (TensorFlow's placement): theta <- theta - clr g / sqrt(sum + eps)
// clr = lr / (1 + (t - 1) lr_decay) is hp.step_lr, computed on the CPU.
// `sum` starts at the initial accumulator value (PyTorch 0, TensorFlow 0.1), filled when it is created.
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), sum.
// Overrides: WG, DECOUPLED, EPS_INSIDE. Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: adagradStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;
override EPS_INSIDE: bool = false;

@group(0) @binding(6) var<storage, read_write> sum: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let g = prepared_grad(i);
  let s = sum[i] + g * g;
  sum[i] = s;
  var denom = sqrt(s) + hp.eps;
  if (EPS_INSIDE) {
    denom = sqrt(s + hp.eps);
  }
  theta[i] = stepped(i, step_lr_of(i) * g / denom);
}
