// Token embedding backward without float atomics: the CPU sorts the batch's positions by token (a CSR index,
// embeddingBackwardIndex in src/reference/embedding.ts), and each invocation sums, for one vocabulary row v and
// channel c, the dOut rows at positions[row_start[v] .. row_start[v+1]) in that fixed order (deterministic; rows of
// absent tokens get 0):
//   dtable[dt_off + v * C + c] (=, or += when ACCUMULATE) sum_p dout[positions[p] * C + c]
// ACCUMULATE adds onto what is there (a table tied to an output layer whose gradient was written first).
// Bindings: params (uniform: N, V, C, dt_off), row_start (u32, V + 1), positions (u32, N), dout [N, C], dtable.
// Overrides: ACCUMULATE.
// Dispatch: gridFor(ceil(V * C / 64)) (src/kernels/grid.ts), one invocation per table element.
// Reference: embeddingBackward in src/reference/embedding.ts.
//#include grid

override ACCUMULATE: bool = false;

struct Params {
  N: u32,
  V: u32,
  C: u32,
  dt_off: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> row_start: array<u32>;
@group(0) @binding(2) var<storage, read> positions: array<u32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read_write> dtable: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, 64u);
  let C = params.C;
  if (i >= params.V * C) {
    return;
  }
  let v = i / C;
  let c = i % C;
  // A malformed index (end before start, or past N) sums nothing rather than reading out of range.
  let end = min(row_start[v + 1u], params.N);
  var s = 0.0;
  for (var p = row_start[v]; p < end; p++) {
    s += dout[min(positions[p], params.N - 1u) * C + c];
  }
  let at = params.dt_off + i;
  if (ACCUMULATE) {
    dtable[at] += s;
  } else {
    dtable[at] = s;
  }
}
