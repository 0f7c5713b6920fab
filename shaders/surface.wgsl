// Two-parameter test functions for optimizers (the demo's loss surfaces and the optimizer tests).
//   gradient: grad[0..2] = grad f(theta[0], theta[1]) for the surface SURFACE, and its L2 norm into
//             metrics[1], where the update reads it for clipping (src/optim/runner.ts)
//   record:   appends (x, y, f(x, y)) to path at counter[0], then increments it (no per-step uniform needed)
// Surfaces: 0 Rosenbrock (1 - x)^2 + 100 (y - x^2)^2; 1 bowl x^2 + 10 y^2 (ill-conditioned);
// 2 saddle x^2 - y^2; 3 Beale (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2;
// 4 Himmelblau (x^2 + y - 11)^2 + (x + y^2 - 7)^2.
// Bindings: theta (read), grad, metrics (read_write; gradient), path, counter (read_write; record).
// Overrides: SURFACE. Dispatch: 1 workgroup of 1.
// Reference: surfaceValue and surfaceGradient in src/reference/surface.ts.

override SURFACE: u32 = 0u;

@group(0) @binding(0) var<storage, read> theta: array<f32>;
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> path: array<f32>;
@group(0) @binding(3) var<storage, read_write> counter: array<u32>;
@group(0) @binding(4) var<storage, read_write> metrics: array<f32>;

fn value(x: f32, y: f32) -> f32 {
  switch SURFACE {
    case 1u: { return x * x + 10.0 * y * y; }
    case 2u: { return x * x - y * y; }
    case 3u: {
      let a = 1.5 - x + x * y;
      let b = 2.25 - x + x * y * y;
      let c = 2.625 - x + x * y * y * y;
      return a * a + b * b + c * c;
    }
    case 4u: {
      let a = x * x + y - 11.0;
      let b = x + y * y - 7.0;
      return a * a + b * b;
    }
    default: {
      let u = y - x * x;
      return (1.0 - x) * (1.0 - x) + 100.0 * u * u;
    }
  }
}

fn gradient_at(x: f32, y: f32) -> vec2<f32> {
  switch SURFACE {
    case 1u: { return vec2<f32>(2.0 * x, 20.0 * y); }
    case 2u: { return vec2<f32>(2.0 * x, -2.0 * y); }
    case 3u: {
      let a = 1.5 - x + x * y;
      let b = 2.25 - x + x * y * y;
      let c = 2.625 - x + x * y * y * y;
      let dx = 2.0 * a * (y - 1.0) + 2.0 * b * (y * y - 1.0) + 2.0 * c * (y * y * y - 1.0);
      let dy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y * y;
      return vec2<f32>(dx, dy);
    }
    case 4u: {
      let a = x * x + y - 11.0;
      let b = x + y * y - 7.0;
      return vec2<f32>(4.0 * a * x + 2.0 * b, 2.0 * a + 4.0 * b * y);
    }
    default: {
      let u = y - x * x;
      return vec2<f32>(-2.0 * (1.0 - x) - 400.0 * x * u, 200.0 * u);
    }
  }
}

@compute @workgroup_size(1)
fn gradient() {
  let g = gradient_at(theta[0], theta[1]);
  grad[0] = g.x;
  grad[1] = g.y;
  metrics[1] = length(g);
}

@compute @workgroup_size(1)
fn record() {
  let k = counter[0];
  if (3u * k + 2u < arrayLength(&path)) {
    path[3u * k] = theta[0];
    path[3u * k + 1u] = theta[1];
    path[3u * k + 2u] = value(theta[0], theta[1]);
    counter[0] = k + 1u;
  }
}
