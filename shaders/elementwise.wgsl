// Element-wise arithmetic over n floats.
//   add:   out[i] = a[i] + b[i]      (residual connections; out may not alias a or b)
//   scale: out[i] = alpha * a[i]
//   accumulate: out[i] += a[i]     (gradient of a tensor that feeds two consumers; out may not alias a)
// Bindings: params (uniform: n, alpha), a (read), b (read, add only), out (read_write).
// Each invocation handles 4 consecutive elements (a quarter of the per-invocation overhead, which is what
// limits these kernels on a CPU adapter); the last invocation stops at n.
// Overrides: WG (workgroup size, default 256).
// Dispatch: gridFor(ceil(n / (4 WG))) workgroups (src/kernels/grid.ts).
// Reference: add, scale and accumulate in src/reference/elementwise.ts.
//#include grid

override WG: u32 = 256u;

struct Params {
  n: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = 4u * flat_index(wid, nwg, lid, WG);
  for (var i = i0; i < min(i0 + 4u, params.n); i++) {
    out[i] = a[i] + b[i];
  }
}

@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = 4u * flat_index(wid, nwg, lid, WG);
  for (var i = i0; i < min(i0 + 4u, params.n); i++) {
    out[i] = params.alpha * a[i];
  }
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = 4u * flat_index(wid, nwg, lid, WG);
  for (var i = i0; i < min(i0 + 4u, params.n); i++) {
    out[i] += a[i];
  }
}
