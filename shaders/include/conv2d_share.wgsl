// Shared by the conv2d subgroup variants: a subgroup of SG invocations computes SG * ROWS rows (each invocation
// ROWS of them, SG apart) x 4 * CV columns of an implicit GEMM. Every invocation needs the same 4 * CV values of
// the column operand per k: each loads its share (NQ = ceil(4 * CV / SG) values) and takes the rest from its
// neighbours with subgroupShuffle (register operations: on lavapipe every storage load is a loop over the lanes).
// Callers keep control flow uniform (no early return) for the shuffles, and enable subgroups.

override SG: u32 = 8u;
override ROWS: u32 = 8u;
override CV: u32 = 2u;

// Column s of the block is loaded by lane s % SG as its share s / SG.
fn share_cols(mine: array<f32, 4>) -> array<vec4<f32>, 4> {
  var b: array<vec4<f32>, 4>;
  for (var s = 0u; s < 4u * CV; s++) {
    b[s / 4u][s % 4u] = subgroupShuffle(mine[s / SG], s % SG);
  }
  return b;
}

// The value this lane loads as its share q: column j0 + lane + q * SG of the block, clamped to the last of n.
fn share_col(j0: u32, lane: u32, q: u32, n: u32) -> u32 {
  return min(j0 + lane + q * SG, n - 1u);
}
