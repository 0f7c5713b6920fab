// Element-wise activation backward: dx[i] = dy[i] * act'(x[i]) for i < n, from the pre-activation x; with
// FROM_OUTPUT, binding x holds the output y = act(pre-activation) and the derivative is computed from it.
// Bindings: params (uniform: n, slope), x (read), dy (read), dx (read_write).
// Overrides: ACT (activation code, see include/activations.wgsl), FROM_OUTPUT, WG (workgroup size, default 256).
// Each invocation handles 4 consecutive elements (a quarter of the per-invocation overhead).
// Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts).
// Reference: activationBackward and activationBackwardFromOutput in src/reference/activation.ts.
//#include activations
//#include grid

override ACT: u32 = 0u;
override FROM_OUTPUT: bool = false;
override WG: u32 = 256u;

struct Params {
  n: u32,
  slope: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = 4u * flat_index(wid, nwg, lid, WG);
  for (var i = i0; i < min(i0 + 4u, params.n); i++) {
    if (FROM_OUTPUT) {
      dx[i] = dy[i] * act_derivative_from_output(ACT, x[i], params.slope);
    } else {
      dx[i] = dy[i] * act_derivative(ACT, x[i], params.slope);
    }
  }
}
