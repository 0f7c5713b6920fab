// Shared by the attention kernels: the uniform, the q/k/v bindings read through (offset, stride) so they can be
// column blocks of one fused QKV buffer, and loads of 4 consecutive head elements. An invocation keeps only
// ROWS x KB scores (overrides, at most MAX_ROWS x MAX_KB) in registers, in arrays indexed by constants once the
// override-bounded loops unroll; loops over the head run to a uniform bound and are not unrolled. Head-sized
// register arrays with fully unrolled loops made lavapipe's cold compile of one pipeline take minutes.
const MAX_ROWS: u32 = 4u;
// Keys (queries in attention_dkv) per block of recomputed scores, at most.
const MAX_KB: u32 = 8u;
// A finite stand-in for -infinity, so exp(m - m_new) and max() never meet inf - inf.
const NEG_BIG: f32 = -3.0e38;

struct Params {
  B: u32,
  T: u32,
  H: u32,
  D: u32,
  causal: u32,
  scale: f32,
  q_off: u32,
  q_stride: u32,
  k_off: u32,
  k_stride: u32,
  v_off: u32,
  v_stride: u32,
  // Where the backward writes dq, dk and dv (element offset and row stride); unused by the forward.
  dq_off: u32,
  dq_stride: u32,
  dk_off: u32,
  dk_stride: u32,
  dv_off: u32,
  dv_stride: u32,
  // attention_dkv: dv goes through the dk binding (dk and dv share a buffer).
  fused_kv: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;

// Start of head h in sequence row r (= b*T + t) of a strided matrix.
fn head_at(off: u32, stride: u32, r: u32, h: u32) -> u32 {
  return off + r * stride + h * params.D;
}

// Raw loads of 4 consecutive elements of a head row. Lanes past D read the columns that follow (another head, or the
// next row; the last row's are clamped by robust buffer access): the kernels load the rows they keep in registers
// through pad4, so those lanes are zero there and only ever meet the raw lanes in a product, which they cancel,
// or in an accumulator lane that is never stored.
fn q4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(q[base + d], q[base + d + 1u], q[base + d + 2u], q[base + d + 3u]);
}

fn k4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(k[base + d], k[base + d + 1u], k[base + d + 2u], k[base + d + 3u]);
}

fn v4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(v[base + d], v[base + d + 1u], v[base + d + 2u], v[base + d + 3u]);
}

// x with the lanes past the head (d + lane >= D) set to zero.
fn pad4(x: vec4<f32>, d: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), x, vec4<u32>(d, d + 1u, d + 2u, d + 3u) < vec4<u32>(params.D));
}

// Whether query row t sees key j: inside the sequence, and not in its future when causal.
fn visible(t: u32, j: u32) -> bool {
  return j < select(params.T, min(t + 1u, params.T), params.causal != 0u);
}
