// Adam, AdamW and AMSGrad (PyTorch's), over the whole arena in one dispatch, bias corrections computed here
// from the step count t:
//   m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;  AMSGRAD: vmax <- max(vmax, v), used for v
//   PyTorch's epsilon: theta <- theta - lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//   TensorFlow's (EPS_HAT): theta <- theta - lr sqrt(1 - beta2^t) / (1 - beta1^t) m / (sqrt(v) + eps)
// AdamW is DECOUPLED (theta <- theta (1 - lr wd) first); Adam's weight decay is L2.
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), exp_avg, exp_avg_sq,
// max_exp_avg_sq (read only with AMSGRAD; otherwise bound to a placeholder).
// Overrides: WG, DECOUPLED, AMSGRAD, EPS_HAT. Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: adamStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;
override AMSGRAD: bool = false;
override EPS_HAT: bool = false;

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
  let lr = lr_of(i);
  let g = prepared_grad(i, lr);
  let t = f32(hp.step);
  let bc1 = 1.0 - pow(hp.beta1, t);
  let bc2 = 1.0 - pow(hp.beta2, t);
  let m = hp.beta1 * exp_avg[i] + (1.0 - hp.beta1) * g;
  var v = hp.beta2 * exp_avg_sq[i] + (1.0 - hp.beta2) * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  if (AMSGRAD) {
    v = max(max_exp_avg_sq[i], v);
    max_exp_avg_sq[i] = v;
  }
  if (EPS_HAT) {
    theta[i] = theta[i] - lr * sqrt(bc2) / bc1 * m / (sqrt(v) + hp.eps);
  } else {
    theta[i] = theta[i] - lr / bc1 * m / (sqrt(v) / sqrt(bc2) + hp.eps);
  }
}
