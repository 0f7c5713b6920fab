// Element-wise activation forward: y[i] = act(x[i]) for i < n.
// Bindings: params (uniform: n, slope), x (read), y (read_write).
// Overrides: ACT (activation code, see include/activations.wgsl), WG (workgroup size, default 256).
// Each invocation handles 4 consecutive elements (a quarter of the per-invocation overhead).
// Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts).
// Reference: activationForward in src/reference/activation.ts.
//#include activations
//#include grid

override ACT: u32 = 0u;
override WG: u32 = 256u;

struct Params {
  n: u32,
  slope: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = 4u * flat_index(wid, nwg, lid, WG);
  for (var i = i0; i < min(i0 + 4u, params.n); i++) {
    y[i] = act_forward(ACT, x[i], params.slope);
  }
}
