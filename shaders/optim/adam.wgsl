// Adam, AdamW and AMSGrad, over the whole arena in one dispatch:
//   m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;  AMSGRAD: vmax <- max(vmax, v), used for v
//   theta <- theta - step_lr m / (sqrt(v) root_scale + eps)
// with the bias corrections folded into the two per-step scalars, computed on the CPU in float64:
//   PyTorch's epsilon: step_lr = lr / (1 - beta1^t), root_scale = 1 / sqrt(1 - beta2^t)
//   TensorFlow's ("epsilon hat"): step_lr = lr sqrt(1 - beta2^t) / (1 - beta1^t), root_scale = 1
// AdamW is DECOUPLED (theta <- theta - lr wd theta - the step); Adam's weight decay is L2.
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), exp_avg, exp_avg_sq,
// max_exp_avg_sq (read only with AMSGRAD; otherwise bound to a placeholder).
// Overrides: WG, DECOUPLED, AMSGRAD. Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: adamStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;
override AMSGRAD: bool = false;

@group(0) @binding(6) var<storage, read_write> exp_avg: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> exp_avg_sq: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> max_exp_avg_sq: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let g = prepared_grad(i);
  let m = hp.beta1 * exp_avg[i] + hp.one_minus_beta1 * g;
  var v = hp.beta2 * exp_avg_sq[i] + hp.one_minus_beta2 * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  if (AMSGRAD) {
    v = max(max_exp_avg_sq[i], v);
    max_exp_avg_sq[i] = v;
  }
  theta[i] = stepped(i, step_lr_of(i) * m / (sqrt(v) * hp.root_scale + hp.eps));
}
