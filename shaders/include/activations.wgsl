// Activation functions and their derivatives, shared by every kernel that applies one.
// Codes must match ACTIVATION_CODES in src/kernels/activation.ts; reference: src/reference/activation.ts.
// `slope` is Leaky ReLU's negative slope, a run-time value.

const ACT_IDENTITY: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_LEAKY_RELU: u32 = 2u;
const ACT_SIGMOID: u32 = 3u;
const ACT_TANH: u32 = 4u;
const ACT_GELU: u32 = 5u;

const GELU_C: f32 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_K: f32 = 0.044715;

// exp(-2|x|) form: never overflows, where (e^2x - 1) / (e^2x + 1) gives inf / inf = NaN for large x.
fn stable_tanh(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

// exp(-|x|) form: never overflows for large negative x.
fn stable_sigmoid(x: f32) -> f32 {
  let s = 1.0 / (1.0 + exp(-abs(x)));
  return select(1.0 - s, s, x >= 0.0);
}

fn act_forward(code: u32, x: f32, slope: f32) -> f32 {
  switch code {
    case 1u: { return max(x, 0.0); }
    case 2u: { return select(slope * x, x, x > 0.0); }
    case 3u: { return stable_sigmoid(x); }
    case 4u: { return stable_tanh(x); }
    case 5u: { return 0.5 * x * (1.0 + stable_tanh(GELU_C * (x + GELU_K * x * x * x))); }
    default: { return x; }
  }
}

// d act(x) / dx, from the pre-activation x. ReLU's derivative at 0 is taken as 0, Leaky ReLU's as the slope.
fn act_derivative(code: u32, x: f32, slope: f32) -> f32 {
  switch code {
    case 1u: { return select(0.0, 1.0, x > 0.0); }
    case 2u: { return select(slope, 1.0, x > 0.0); }
    case 3u: {
      let s = stable_sigmoid(x);
      return s * (1.0 - s);
    }
    case 4u: {
      let t = stable_tanh(x);
      return 1.0 - t * t;
    }
    case 5u: {
      let t = stable_tanh(GELU_C * (x + GELU_K * x * x * x));
      return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_K * x * x);
    }
    default: { return 1.0; }
  }
}

// d act(x) / dx from the output y = act(x), for the activations where y determines it (the planner fuses
// such an activation into the matmul that feeds it, and keeps only y): ReLU (y > 0), Leaky ReLU with a
// positive slope (y > 0), sigmoid y (1 - y), tanh 1 - y^2, identity 1. GELU is not invertible this way.
fn act_derivative_from_output(code: u32, y: f32, slope: f32) -> f32 {
  switch code {
    case 1u: { return select(0.0, 1.0, y > 0.0); }
    case 2u: { return select(slope, 1.0, y > 0.0); }
    case 3u: { return y * (1.0 - y); }
    case 4u: { return 1.0 - y * y; }
    default: { return 1.0; }
  }
}
