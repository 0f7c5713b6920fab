// Momentum and Nesterov momentum (PyTorch's SGD), over the whole arena in one dispatch:
//   buf <- g on the first step, else momentum buf + (1 - dampening) g
//   theta <- theta - lr (NESTEROV ? g + momentum buf : buf)
// The Nesterov form needs only the gradient at the stored parameters, which are the look-ahead point
// theta - gamma v of the classical form v <- gamma v + lr grad(theta - gamma v), theta <- theta - v.
// Bindings: hp, grad, theta, metrics, control, chunk_opts (include/optim_common.wgsl), velocity.
// Overrides: WG, DECOUPLED, NESTEROV.
// Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts); each invocation updates 4 elements.
// Reference: momentumStep in src/reference/optim.ts.
//#include grid
//#include optim_common

override WG: u32 = 256u;
override NESTEROV: bool = false;

@group(0) @binding(6) var<storage, read_write> velocity: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n / 4u || update_halted(i)) {
    return;
  }
  let g = prepared_grad(i);
  var buf = g;
  if (hp.step > 1u) {
    buf = hp.momentum * velocity[i] + (1.0 - hp.dampening) * g;
  }
  velocity[i] = buf;
  var d = buf;
  if (NESTEROV) {
    d = g + hp.momentum * buf;
  }
  theta[i] = stepped(i, step_lr_of(i) * d);
}
