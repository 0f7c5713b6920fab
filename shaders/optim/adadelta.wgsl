// AdaDelta (PyTorch's), over the whole arena in one dispatch:
//   square_avg <- rho square_avg + (1 - rho) g^2
//   delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) g
//   acc_delta <- rho acc_delta + (1 - rho) delta^2;  theta <- theta - lr delta
// The paper has no learning rate (lr = 1, PyTorch's default); Keras defaults to 0.001.
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), square_avg, acc_delta.
// Overrides: WG, DECOUPLED. Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: adadeltaStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;

@group(0) @binding(6) var<storage, read_write> square_avg: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> acc_delta: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let g = prepared_grad(i);
  let sq = hp.rho * square_avg[i] + hp.one_minus_rho * g * g;
  square_avg[i] = sq;
  let delta = sqrt(acc_delta[i] + hp.eps) / sqrt(sq + hp.eps) * g;
  acc_delta[i] = hp.rho * acc_delta[i] + hp.one_minus_rho * delta * delta;
  theta[i] = stepped(i, step_lr_of(i) * delta);
}
