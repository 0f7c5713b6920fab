// RMSProp, plain and centred (PyTorch's), over the whole arena in one dispatch; alpha is hp.rho:
//   square_avg <- alpha square_avg + (1 - alpha) g^2
//   CENTERED: grad_avg <- alpha grad_avg + (1 - alpha) g;  var = square_avg - grad_avg^2;  else var = square_avg
//   avg = sqrt(var) + eps  (EPS_INSIDE, TensorFlow's placement: sqrt(var + eps))
//   momentum > 0: buf <- momentum buf + g / avg; theta <- theta - lr buf;  else theta <- theta - lr g / avg
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), square_avg, grad_avg,
// momentum_buffer (the last two only read when CENTERED / momentum > 0; otherwise bound to a placeholder).
// Overrides: WG, DECOUPLED, CENTERED, EPS_INSIDE. Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts);
// each invocation updates 4 consecutive elements as a vec4.
// Reference: rmspropStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;
override CENTERED: bool = false;
override EPS_INSIDE: bool = false;

@group(0) @binding(6) var<storage, read_write> square_avg: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> grad_avg: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> momentum_buffer: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let lr = step_lr_of(i);
  let g = prepared_grad(i);
  let sq = hp.rho * square_avg[i] + hp.one_minus_rho * g * g;
  square_avg[i] = sq;
  var v = sq;
  if (CENTERED) {
    let ga = hp.rho * grad_avg[i] + hp.one_minus_rho * g;
    grad_avg[i] = ga;
    v = sq - ga * ga;
  }
  var avg = sqrt(v) + hp.eps;
  if (EPS_INSIDE) {
    avg = sqrt(v + hp.eps);
  }
  if (hp.momentum > 0.0) {
    let buf = hp.momentum * momentum_buffer[i] + g / avg;
    momentum_buffer[i] = buf;
    theta[i] = stepped(i, lr * buf);
  } else {
    theta[i] = stepped(i, lr * g / avg);
  }
}
