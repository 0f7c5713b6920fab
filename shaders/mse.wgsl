// Mean squared error over the rows of pred [B, D] and the target tgt [B, D] ('target' is reserved in WGSL):
//   loss[i]     = (1 / D) sum_d (pred[i, d] - tgt[i, d])^2
//   dpred[i, d] = grad_scale * 2 (pred[i, d] - tgt[i, d]) / D                     (overwritten)
// With grad_scale = 1 / B, mean_i loss[i] is PyTorch's MSELoss(reduction='mean') and dpred its gradient.
// Bindings: params (uniform: B, D, grad_scale), pred, tgt (read), loss, dpred (read_write).
// Overrides: WG (invocations per row, a power of two, default 64).
// Dispatch: gridFor(B) workgroups, one per row (src/kernels/grid.ts).
// Reference: mse in src/reference/loss.ts.
//#include row_reduce

override WG: u32 = 64u;

struct Params {
  B: u32,
  D: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpred: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = row_of(wid, nwg);
  if (row >= params.B) {
    return;
  }
  let D = params.D;
  let base = row * D;
  let k = params.grad_scale * 2.0 / f32(D);
  var s = 0.0;
  for (var d = lid.x; d < D; d += WG) {
    let e = pred[base + d] - tgt[base + d];
    s += e * e;
    dpred[base + d] = k * e;
  }
  let total = row_sum(lid.x, vec4<f32>(s, 0.0, 0.0, 0.0)).x;
  if (lid.x == 0u) {
    loss[row] = total / f32(D);
  }
}
