// Matmul variant "gemm", built for GPUs: a 16 x 16 workgroup computes a 128 x 128 tile of C, each invocation
// an 8 x 8 register block, as 16 vec4 accumulators: rows 4 ly .. 4 ly + 3 and 64 more, columns 4 lx .. 4 lx + 3
// and 64 more (quarters 64 apart, so neighbouring invocations read neighbouring vec4s). Per k: 4 vec4 reads of
// workgroup memory, 64 multiply-adds.
// Double buffering: op(A) and op(B) are staged in BK = 8 deep panels; while the workgroup multiplies out panel
// t, each invocation holds its share of panel t + 1 (one vec4 per operand) in registers and writes it to the
// other buffer afterwards: one barrier per step. BK = 8: two buffers of 2 x 8 x 128 floats are 16 KiB, exactly
// WebGPU's default maxComputeWorkgroupStorageSize (BK = 16 double-buffered would need 32 KiB).
// Bank conflicts, without padding (no room in 16 KiB): panels are k-major, [buffer][k][32 vec4s]. Per k an
// invocation reads vec4s ly and 16 + ly of A's k-row (the same for a row of invocations: a broadcast) and lx and
// 16 + lx of B's: consecutive invocations, consecutive 16-byte words. Staging writes one vec4 at index li for an
// operand stored along M or N (A^T, B), 4 scalars down k for one stored along k (A, B^T): two per bank at worst.
// Global loads: where the operand's contiguous rows hold whole vec4s (VEC_A, VEC_B: K for A and B^T, M for A^T,
// N for B a multiple of 4) one 16-byte load per staged vec4, through a4 / b4, read-only views of a / b; each such
// vec4 lies wholly inside or outside the matrix, so one bounds check covers it. Otherwise 4 scalar loads, each
// bounds-checked. Every store is bounds-checked.
// Bindings, params and epilogue (bias, activation, gate): include/matmul_common.wgsl; a4, b4: a, b as vec4s
// (a 16-byte placeholder where vec_a / vec_b is off); lay (uniform): trans_a, trans_b, vec_a, vec_b, flags
// rather than override constants so that one pipeline serves every transposition and load path (each branch is
// uniform across the dispatch; as overrides they made 16 pipelines per epilogue, and a SwiftShader or lavapipe
// cold compile of each took seconds). Overrides: ACT, HAS_BIAS, GATE, GATE_ACT. Workgroup 16 x 16, fixed.
// Dispatch: (ceil(N / 128), ceil(M / 128)).
// Reference: matmul in src/reference/matmul.ts.
//#include matmul_common

struct Layout {
  trans_a: u32,
  trans_b: u32,
  vec_a: u32,
  vec_b: u32,
}

@group(0) @binding(8) var<uniform> lay: Layout;

@group(0) @binding(6) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> b4: array<vec4<f32>>;

const TILE: u32 = 128u;
const BK: u32 = 8u;
const ROW4: u32 = 32u; // vec4s in one k-row of a panel
const PANEL: u32 = 256u; // vec4s in one panel: BK x ROW4

var<workgroup> tile_a: array<vec4<f32>, 512>; // [2][BK][ROW4]
var<workgroup> tile_b: array<vec4<f32>, 512>;

// Invocation li's 4 values of op(A)'s panel at (row0, k0): along k at row li / 2 when A is stored along k,
// else along i at k-row li / 32. Zero outside the matrix.
fn fetch_a(row0: u32, k0: u32, li: u32) -> vec4<f32> {
  let TRANS_A = lay.trans_a != 0u;
  let di = select(0u, 1u, TRANS_A);
  let i = row0 + select(li / 2u, (li % ROW4) * 4u, TRANS_A);
  let k = k0 + select((li % 2u) * 4u, li / ROW4, TRANS_A);
  var v = vec4<f32>(0.0);
  if (lay.vec_a != 0u) {
    if (i < params.M && k < params.K) {
      v = a4[(i * params.a_si + k * params.a_sk) / 4u];
    }
  } else {
    for (var s = 0u; s < 4u; s++) {
      if (i + s * di < params.M && k + s * (1u - di) < params.K) {
        v[s] = load_a(i + s * di, k + s * (1u - di));
      }
    }
  }
  return v;
}

// Invocation li's 4 values of op(B)'s panel at (k0, col0): along k at column li / 2 when B^T is stored, else
// along j at k-row li / 32. Zero outside the matrix.
fn fetch_b(k0: u32, col0: u32, li: u32) -> vec4<f32> {
  let TRANS_B = lay.trans_b != 0u;
  let dj = select(1u, 0u, TRANS_B);
  let j = col0 + select((li % ROW4) * 4u, li / 2u, TRANS_B);
  let k = k0 + select(li / ROW4, (li % 2u) * 4u, TRANS_B);
  var v = vec4<f32>(0.0);
  if (lay.vec_b != 0u) {
    if (j < params.N && k < params.K) {
      v = b4[(k * params.b_sk + j * params.b_sj) / 4u];
    }
  } else {
    for (var s = 0u; s < 4u; s++) {
      if (j + s * dj < params.N && k + s * (1u - dj) < params.K) {
        v[s] = load_b(k + s * (1u - dj), j + s * dj);
      }
    }
  }
  return v;
}

// Write fetched values into a panel buffer from vec4 `base`: one vec4 at li when they run along the panel's
// rows (A^T, B), else 4 scalars down k at row or column li / 2 (A, B^T).
fn stage(tile: ptr<workgroup, array<vec4<f32>, 512>>, base: u32, li: u32, along_k: bool, v: vec4<f32>) {
  if (!along_k) {
    (*tile)[base + li] = v;
  } else {
    let r = li / 2u;
    let k = (li % 2u) * 4u;
    for (var s = 0u; s < 4u; s++) {
      (*tile)[base + (k + s) * ROW4 + r / 4u][r % 4u] = v[s];
    }
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let steps = (params.K + BK - 1u) / BK;
  let TRANS_A = lay.trans_a != 0u;
  let TRANS_B = lay.trans_b != 0u;
  // acc[8h + 2r + g]: row 64h + 4 ly + r, columns 64g + 4 lx .. + 3.
  var acc: array<vec4<f32>, 16>;
  stage(&tile_a, 0u, li, !TRANS_A, fetch_a(row0, 0u, li));
  stage(&tile_b, 0u, li, TRANS_B, fetch_b(0u, col0, li));
  workgroupBarrier();
  for (var t = 0u; t < steps; t++) {
    let cur = (t % 2u) * PANEL;
    let more = t + 1u < steps;
    var next_a = vec4<f32>(0.0);
    var next_b = vec4<f32>(0.0);
    if (more) {
      next_a = fetch_a(row0, (t + 1u) * BK, li);
      next_b = fetch_b((t + 1u) * BK, col0, li);
    }
    for (var k = 0u; k < BK; k++) {
      let p = cur + k * ROW4;
      let a0 = tile_a[p + lid.y];
      let a1 = tile_a[p + 16u + lid.y];
      let b0 = tile_b[p + lid.x];
      let b1 = tile_b[p + 16u + lid.x];
      acc[0] += a0.x * b0;
      acc[1] += a0.x * b1;
      acc[2] += a0.y * b0;
      acc[3] += a0.y * b1;
      acc[4] += a0.z * b0;
      acc[5] += a0.z * b1;
      acc[6] += a0.w * b0;
      acc[7] += a0.w * b1;
      acc[8] += a1.x * b0;
      acc[9] += a1.x * b1;
      acc[10] += a1.y * b0;
      acc[11] += a1.y * b1;
      acc[12] += a1.z * b0;
      acc[13] += a1.z * b1;
      acc[14] += a1.w * b0;
      acc[15] += a1.w * b1;
    }
    // The other buffer was last read in step t - 1, which every invocation finished before the last barrier.
    if (more) {
      stage(&tile_a, PANEL - cur, li, !TRANS_A, next_a);
      stage(&tile_b, PANEL - cur, li, TRANS_B, next_b);
    }
    workgroupBarrier();
  }
  for (var q = 0u; q < 8u; q++) {
    let i = row0 + (q / 4u) * 64u + lid.y * 4u + q % 4u;
    if (i < params.M) {
      for (var g = 0u; g < 2u; g++) {
        let v = acc[2u * q + g];
        for (var s = 0u; s < 4u; s++) {
          let j = col0 + g * 64u + lid.x * 4u + s;
          if (j < params.N) {
            store_c(i, j, v[s]);
          }
        }
      }
    }
  }
}
