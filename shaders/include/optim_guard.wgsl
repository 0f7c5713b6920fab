// Shared by every optimizer update: a step whose gradients or loss went non-finite (the telemetry kernel's
// flag at metrics[flag_index]) must not touch the parameters, and neither may any step after it (the
// sticky halt flag in control[0]), so the last good parameters survive until the trainer reads the flag.
// Layout of the metrics slot: src/kernels/telemetry.ts.

@group(0) @binding(3) var<storage, read> metrics: array<f32>;
@group(0) @binding(4) var<storage, read_write> control: array<u32>;

// True when this step must be skipped; the first invocation records the halt for later steps.
fn update_halted(i: u32, flag_index: u32) -> bool {
  if (control[0] != 0u) {
    return true;
  }
  if (metrics[flag_index] != 0.0) {
    if (i == 0u) {
      control[0] = 1u;
    }
    return true;
  }
  return false;
}
