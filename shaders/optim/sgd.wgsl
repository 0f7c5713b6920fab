// Plain gradient descent over the whole parameter arena in one dispatch: theta <- theta - lr * grad.
// Bindings: hp (uniform: n, lr, flag_index), grad (read), theta (read_write), metrics (read), control (read_write).
// Overrides: WG (workgroup size, default 256).
// Dispatch: gridFor(ceil(n / WG)) workgroups (src/kernels/grid.ts).
// Reference: sgdUpdate in src/reference/optim.ts.
//#include grid
//#include optim_guard

override WG: u32 = 256u;

struct Hyper {
  n: u32,
  lr: f32,
  flag_index: u32,
}

@group(0) @binding(0) var<uniform> hp: Hyper;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> theta: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= hp.n || update_halted(i, hp.flag_index)) {
    return;
  }
  theta[i] = theta[i] - hp.lr * grad[i];
}
