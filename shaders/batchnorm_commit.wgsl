// BatchNorm's running statistics, updated only by a step that stayed finite: forward_batch in batchnorm.wgsl
// leaves the batch's (mean, unbiased variance) in batch_stats [2, D]; this runs after the optimizer update and
//   running_mean = (1 - m) running_mean + m batch_stats[j],  running_var = (1 - m) running_var + m batch_stats[D + j]
// unless control[0] != 0: the update's sticky halt flag, set on the step whose loss or gradients went non-finite
// (shaders/include/optim_common.wgsl), so that step and every one after it leave the statistics as they were.
// Bindings: params (uniform: D, momentum); batch_stats, control (read); running_mean, running_var (read_write).
// Overrides: WG (default 256). Dispatch: gridFor(ceil(D / WG)).
// Reference: batchNormCommit in src/reference/batchnorm.ts.
//#include grid

override WG: u32 = 256u;

struct Params {
  D: u32,
  momentum: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> batch_stats: array<f32>;
@group(0) @binding(2) var<storage, read> control: array<u32>;
@group(0) @binding(3) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_var: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = flat_index(wid, nwg, lid, WG);
  if (j >= params.D || control[0] != 0u) {
    return;
  }
  let m = params.momentum;
  running_mean[j] = (1.0 - m) * running_mean[j] + m * batch_stats[j];
  running_var[j] = (1.0 - m) * running_var[j] + m * batch_stats[params.D + j];
}
