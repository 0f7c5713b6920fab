// Matmul variant "tiled": a 16 x 16 workgroup computes a 64 x 64 tile of C. Each step stages a 64 x 16
// panel of op(A) and a 16 x 64 panel of op(B) in workgroup memory (each invocation loads 4 + 4 values),
// then every invocation accumulates its own 4 x 4 block of C from workgroup memory.
// Global traffic per tile drops 16-fold against "naive"; the right shape for GPUs with fast shared memory.
// Bindings, params and epilogue: include/matmul_common.wgsl.
// Overrides: ACT, HAS_BIAS. Dispatch: (ceil(N / 64), ceil(M / 64)).
// Reference: matmul in src/reference/matmul.ts.
//#include matmul_common

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
const THREADS: u32 = 256u;

var<workgroup> tile_a: array<f32, 1024>; // [BK][BM]
var<workgroup> tile_b: array<f32, 1024>; // [BK][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < params.K; k0 += BK) {
    for (var l = 0u; l < (BM * BK) / THREADS; l++) {
      let idx = li + l * THREADS;
      // A panel: consecutive invocations walk k first, B panel: j first, matching the untransposed layouts.
      let am = idx / BK;
      let ak = idx % BK;
      var av = 0.0;
      if (row0 + am < params.M && k0 + ak < params.K) {
        av = load_a(row0 + am, k0 + ak);
      }
      tile_a[ak * BM + am] = av;
      let bk = idx / BN;
      let bn = idx % BN;
      var bv = 0.0;
      if (k0 + bk < params.K && col0 + bn < params.N) {
        bv = load_b(k0 + bk, col0 + bn);
      }
      tile_b[bk * BN + bn] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let ar = kk * BM + lid.y * 4u;
      let br = kk * BN + lid.x * 4u;
      let bv = vec4<f32>(tile_b[br], tile_b[br + 1u], tile_b[br + 2u], tile_b[br + 3u]);
      acc[0] += tile_a[ar] * bv;
      acc[1] += tile_a[ar + 1u] * bv;
      acc[2] += tile_a[ar + 2u] * bv;
      acc[3] += tile_a[ar + 3u] * bv;
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let i = row0 + lid.y * 4u + r;
    if (i < params.M) {
      for (var s = 0u; s < 4u; s++) {
        let j = col0 + lid.x * 4u + s;
        if (j < params.N) {
          store_c(i, j, acc[r][s]);
        }
      }
    }
  }
}
