// The tiled GEMM loop of the conv2d "gemm" kernels (conv2d_gemm*.wgsl): out[i, j] = sum_k A[i, k] * B[k, j] for a
// workgroup's tile of BM = 4 * WG_Y rows by BN = 4 * WG_X columns, each invocation a 4x4 register block (rows
// 4 * lid.y.., columns 4 * lid.x..). K is walked BK = 8 at a time through two workgroup-memory buffers: while the
// tile of step t is multiplied from one buffer, step t + 1's values are fetched from storage into registers and
// written to the other, so one barrier per step suffices (a buffer is rewritten only after the barrier that ends
// the step which read it). Each invocation fetches the same k of every step (k = step * BK + tid % BK) for
// 32 / WG_X rows of A and 32 / WG_Y columns of B, so it decodes k once per step; consecutive invocations take
// consecutive k, contiguous in NHWC memory when k's innermost part is a channel. A k row of each buffer is padded
// by one vec4 so those 8 invocations' stores fall in different banks.
// The including shader defines the operands through these functions (rows, columns and K past the problem's are
// handled here: a row or column slot past the edge must still be safe to load from, and is never stored):
//   gemm_rows() -> u32, gemm_cols() -> u32   the problem's rows and columns
//   gemm_k_range(split: u32) -> vec2<u32>      [begin, end) of K for workgroup_id.z = split (uniform)
//   gemm_row(s: u32, i: u32), gemm_col(s: u32, j: u32)   record row i (column j) as the invocation's slot s in
//                                              row_at, row_y, row_x, row_ok (col_at) below
//   gemm_set_k(k: u32)                         decode k (begin <= k < end) for the loads below
//   gemm_a(s: u32) -> f32, gemm_b(s: u32) -> f32   A[row s, k] and B[k, column s]
//   gemm_store(i: u32, j: u32, v: f32)         write out[i, j] (i, j inside the problem)
// Overrides: WG_X in {2, 4, 8, 16}, WG_Y in {16, 32}, WG_X * WG_Y <= 256 (the wrapper picks them).

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
const BK: u32 = 8u;
// vec4s per k row of a buffer: BM / 4 (BN / 4) plus the pad.
override A_STRIDE: u32 = WG_Y + 1u;
override B_STRIDE: u32 = WG_X + 1u;
override A_LEN: u32 = 2u * BK * A_STRIDE;
override B_LEN: u32 = 2u * BK * B_STRIDE;
// Values of A and of B each invocation fetches per step (BM * BK and BK * BN over WG_X * WG_Y invocations).
override SA: u32 = 32u / WG_X;
override SB: u32 = 32u / WG_Y;

var<workgroup> a_tile: array<vec4<f32>, A_LEN>;
var<workgroup> b_tile: array<vec4<f32>, B_LEN>;
// The next step's values, fetched before the current step is multiplied.
var<private> ra: array<f32, 16>;
var<private> rb: array<f32, 2>;
// What the including shader's gemm_row / gemm_col record of each slot (their meaning is the shader's): an offset
// and two signed coordinates per row, whether the row is inside the problem, an offset per column.
var<private> row_at: array<u32, 16>;
var<private> row_y: array<i32, 16>;
var<private> row_x: array<i32, 16>;
var<private> row_ok: array<bool, 16>;
var<private> col_at: array<u32, 2>;

// Fetch A[rows, k] and B[k, cols] into registers; zero past the end of K.
fn gemm_fetch(k: u32, end: u32) {
  let inside = k < end;
  if (inside) {
    gemm_set_k(k);
  }
  for (var s = 0u; s < SA; s++) {
    ra[s] = 0.0;
    if (inside) {
      ra[s] = gemm_a(s);
    }
  }
  for (var s = 0u; s < SB; s++) {
    rb[s] = 0.0;
    if (inside) {
      rb[s] = gemm_b(s);
    }
  }
}

// Write the fetched values into buffer `buf` at k row kk; slot s is row (column) lane + s * step of the tile.
fn gemm_stash(buf: u32, kk: u32, lane: u32, step: u32) {
  for (var s = 0u; s < SA; s++) {
    let r = lane + s * step;
    a_tile[(buf * BK + kk) * A_STRIDE + r / 4u][r % 4u] = ra[s];
  }
  for (var s = 0u; s < SB; s++) {
    let c = lane + s * step;
    b_tile[(buf * BK + kk) * B_STRIDE + c / 4u][c % 4u] = rb[s];
  }
}

fn gemm_run(wid: vec3<u32>, lid: vec3<u32>) {
  let tid = lid.y * WG_X + lid.x;
  let i0 = wid.y * 4u * WG_Y;
  let j0 = wid.x * 4u * WG_X;
  let kk = tid % BK;
  let lane = tid / BK;
  let step = WG_X * WG_Y / BK;
  for (var s = 0u; s < SA; s++) {
    gemm_row(s, i0 + lane + s * step);
  }
  for (var s = 0u; s < SB; s++) {
    gemm_col(s, j0 + lane + s * step);
  }
  let range = gemm_k_range(wid.z);
  let steps = (range.y - range.x + BK - 1u) / BK;
  gemm_fetch(range.x + kk, range.y);
  gemm_stash(0u, kk, lane, step);
  workgroupBarrier();
  var acc: array<vec4<f32>, 4>;
  for (var t = 0u; t < steps; t++) {
    let buf = t % 2u;
    let more = t + 1u < steps;
    if (more) {
      gemm_fetch(range.x + (t + 1u) * BK + kk, range.y);
    }
    for (var q = 0u; q < BK; q++) {
      let a = a_tile[(buf * BK + q) * A_STRIDE + lid.y];
      let b = b_tile[(buf * BK + q) * B_STRIDE + lid.x];
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    if (more) {
      gemm_stash(1u - buf, kk, lane, step);
    }
    workgroupBarrier();
  }
  let rows = gemm_rows();
  let cols = gemm_cols();
  for (var i = 0u; i < 4u; i++) {
    let r = i0 + 4u * lid.y + i;
    for (var j = 0u; j < 4u; j++) {
      let c = j0 + 4u * lid.x + j;
      if (r < rows && c < cols) {
        gemm_store(r, c, acc[i][j]);
      }
    }
  }
}
