// Shared by every matmul variant: C[M x N] = act(op(A) . op(B) + bias).
// op(A) is M x K and op(B) is K x N, read through strides so a transpose costs nothing:
//   op(A)[i, k] = a[i * a_si + k * a_sk]     A: a_si = K, a_sk = 1;   A^T stored K x M: a_si = 1, a_sk = M
//   op(B)[k, j] = b[k * b_sk + j * b_sj]     B: b_sk = N, b_sj = 1;   B^T stored N x K: b_sk = 1, b_sj = K
// C is row-major M x N. bias has N entries and is read only when HAS_BIAS.
// GATE (backpropagation through an activation, fused into the product that computes its input gradient):
// C[i, j] is multiplied by act'(gate[i, j]) for activation GATE_ACT, with the derivative taken from the
// activation's output held in gate (M x N) and the slope in params.slope; used without ACT or bias. With
// GATE_INPUT gate holds the activation's input and the derivative is taken from it (GELU, whose derivative its
// output does not determine).
// Reference: matmul in src/reference/matmul.ts.
//#include activations

override ACT: u32 = 0u;
override HAS_BIAS: bool = false;
override GATE: bool = false;
override GATE_ACT: u32 = 0u;
override GATE_INPUT: bool = false;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  a_si: u32,
  a_sk: u32,
  b_sk: u32,
  b_sj: u32,
  slope: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<storage, read> gate: array<f32>;

fn load_a(i: u32, k: u32) -> f32 {
  return a[i * params.a_si + k * params.a_sk];
}

fn load_b(k: u32, j: u32) -> f32 {
  return b[k * params.b_sk + j * params.b_sj];
}

// Bias, then activation (or the gate), then the store; callers guarantee i < M and j < N.
fn store_c(i: u32, j: u32, acc: f32) {
  var v = acc;
  if (HAS_BIAS) {
    v += bias[j];
  }
  if (GATE && GATE_INPUT) {
    c[i * params.N + j] = v * act_derivative(GATE_ACT, gate[i * params.N + j], params.slope);
  } else if (GATE) {
    c[i * params.N + j] = v * act_derivative_from_output(GATE_ACT, gate[i * params.N + j], params.slope);
  } else {
    c[i * params.N + j] = act_forward(ACT, v, params.slope);
  }
}

// Store one row i of an 8-column block whose columns are j0, j0 + stride, ..., j0 + 7 stride (lo holds the
// first four values, hi the last four); columns at or past N are skipped. Callers guarantee i < M.
fn store_row8(i: u32, j0: u32, stride: u32, lo: vec4<f32>, hi: vec4<f32>) {
  for (var s = 0u; s < 8u; s++) {
    let j = j0 + s * stride;
    if (j < params.N) {
      if (s < 4u) {
        store_c(i, j, lo[s]);
      } else {
        store_c(i, j, hi[s - 4u]);
      }
    }
  }
}
