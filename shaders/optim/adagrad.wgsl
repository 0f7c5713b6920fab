// Adagrad (PyTorch's), over the whole arena in one dispatch:
//   sum <- sum + g^2;  clr = lr / (1 + (step - 1) lr_decay);  theta <- theta - clr g / (sqrt(sum) + eps)
// `sum` starts at the initial accumulator value (PyTorch 0, TensorFlow 0.1), filled when it is created.
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), sum.
// Overrides: WG, DECOUPLED. Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: adagradStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;

@group(0) @binding(6) var<storage, read_write> sum: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let lr = lr_of(i) / (1.0 + f32(hp.step - 1u) * hp.lr_decay);
  let g = prepared_grad(i, lr);
  let s = sum[i] + g * g;
  sum[i] = s;
  theta[i] = theta[i] - lr * g / (sqrt(s) + hp.eps);
}
