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

// Decoupled weight decay (AdamW, Lion): theta <- theta - lr wd theta - update; otherwise L2: g += wd theta.
override DECOUPLED: bool = false;

// Every per-step scalar (bias corrections, Adagrad's rate decay, the schedule's rate) is computed on the CPU in
// float64 and written here each step (src/optim/update.ts): f32 `pow` may be a few ulp off (lavapipe's
// pow(0.999, 1.0) is 2 ulp low, which puts 1 - beta2^t 1.2e-4 off), and WGSL allows it. Complements such as
// 1 - beta2 are rounded once from float64 too: 1 - f32(0.999) is 1.3e-5 away from 0.001.
struct Hyper {
  n: u32,
  flag_index: u32,
  norm_index: u32,
  step: u32,
  // This step's base rate (schedule included): decoupled weight decay's.
  lr: f32,
  // The rate the update applies: lr with this step's corrections folded in, e.g. Adam's lr / (1 - beta1^t).
  step_lr: f32,
  // Multiplies the root in Adam's denominator: 1 / sqrt(1 - beta2^t) with PyTorch's epsilon, else 1.
  root_scale: f32,
  max_norm: f32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
  momentum: f32,
  dampening: f32,
  rho: f32,
  one_minus_rho: f32,
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

// The base learning rate of vec4 i (decoupled decay's): the step's rate times its tensor's multiplier.
fn lr_of(i: u32) -> f32 {
  return hp.lr * chunk_opts[(4u * i) / CHUNK].x;
}

// The rate vec4 i's update applies: the step's corrected rate times its tensor's multiplier.
fn step_lr_of(i: u32) -> f32 {
  return hp.step_lr * chunk_opts[(4u * i) / CHUNK].x;
}

// The gradient vec4 i's update sees: clipped, plus L2 decay unless the decay is DECOUPLED (in stepped()).
fn prepared_grad(i: u32) -> vec4<f32> {
  var g = grad[i] * clip_scale();
  if (!DECOUPLED) {
    g += chunk_opts[(4u * i) / CHUNK].y * theta[i];
  }
  return g;
}

// theta of vec4 i after subtracting `update` and, when DECOUPLED, lr wd theta: theta is rounded once, where
// theta (1 - lr wd) stored and then updated would round 1 - lr wd and an intermediate theta as well.
fn stepped(i: u32, update: vec4<f32>) -> vec4<f32> {
  let t = theta[i];
  if (DECOUPLED) {
    return t - (lr_of(i) * chunk_opts[(4u * i) / CHUNK].y * t + update);
  }
  return t - update;
}
