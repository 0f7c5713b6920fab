// Shared by every optimizer update in shaders/optim/: the hyper-parameter block, the bindings every update
// has, the non-finite guard, gradient clipping, weight decay and per-tensor options.
//  - A step whose gradients or loss went non-finite (the telemetry kernel's flag at metrics[flag_index])
//    must not touch the parameters, nor may any step after it (the sticky halt flag in control[0]).
//  - Clipping by global norm reads the norm the telemetry kernel reduced (metrics[norm_index]): no readback.
//  - chunk_opts holds, per 64-element chunk of the arena, (learning-rate multiplier, weight decay); every
//    tensor starts on a 64-element boundary, so a chunk never straddles two tensors.
//  - Updates work on vec4s: index i covers elements 4i..4i+3 (the arena's length is a multiple of 64), which
//    keeps the per-invocation overhead of the guard and the lookups to a quarter.
// Metrics slot layout: src/kernels/telemetry.ts. Reference: src/reference/optim.ts.

const CHUNK: u32 = 64u;

// Decoupled weight decay (AdamW, Lion): theta <- theta (1 - lr wd) before the update; otherwise L2: g += wd theta.
override DECOUPLED: bool = false;

struct Hyper {
  n: u32,
  flag_index: u32,
  norm_index: u32,
  step: u32,
  lr: f32,
  max_norm: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  momentum: f32,
  dampening: f32,
  rho: f32,
  lr_decay: f32,
}

@group(0) @binding(0) var<uniform> hp: Hyper;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> theta: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> metrics: array<f32>;
@group(0) @binding(4) var<storage, read_write> control: array<u32>;
@group(0) @binding(5) var<storage, read> chunk_opts: array<vec2<f32>>;

// True when this step must be skipped; the first invocation records the halt for later steps.
fn update_halted(i: u32) -> bool {
  if (control[0] != 0u) {
    return true;
  }
  if (metrics[hp.flag_index] != 0.0) {
    if (i == 0u) {
      control[0] = 1u;
    }
    return true;
  }
  return false;
}

// PyTorch's clip_grad_norm_: scale = min(1, max_norm / (norm + 1e-6)).
fn clip_scale() -> f32 {
  if (hp.max_norm <= 0.0) {
    return 1.0;
  }
  return min(1.0, hp.max_norm / (metrics[hp.norm_index] + 1e-6));
}

// The learning rate of vec4 i: the step's base rate times its tensor's multiplier.
fn lr_of(i: u32) -> f32 {
  return hp.lr * chunk_opts[(4u * i) / CHUNK].x;
}

// The gradient vec4 i's update sees: clipped, plus L2 decay; with decoupled decay, theta shrinks here instead.
fn prepared_grad(i: u32, lr: f32) -> vec4<f32> {
  let wd = chunk_opts[(4u * i) / CHUNK].y;
  var g = grad[i] * clip_scale();
  if (DECOUPLED) {
    theta[i] = theta[i] * (1.0 - lr * wd);
  } else {
    g += wd * theta[i];
  }
  return g;
}
