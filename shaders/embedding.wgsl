// Token embedding forward, a row gather with an optional learned positional embedding added in the same pass:
//   out[n, c] = table[table_off + ids[n] * C + c] + (HAS_POS ? pos[pos_off + (n % T) * C + c] : 0)
// for N = B*T token ids. An id outside [0, V) writes NaN over its row, so the step's non-finite flag reports it
// (the GPU cannot throw; the CPU one-shot form checks ids first and raises a DataError).
// Bindings: params (uniform: N, V, C, T, table_off, pos_off), ids (u32), table, pos (read when HAS_POS), out.
// Overrides: HAS_POS.
// Dispatch: gridFor(ceil(N * C / 64)) (src/kernels/grid.ts), one invocation per output element.
// Reference: embeddingForward in src/reference/embedding.ts.
//#include grid

override HAS_POS: bool = false;

struct Params {
  N: u32,
  V: u32,
  C: u32,
  T: u32,
  table_off: u32,
  pos_off: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> pos: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// A quiet NaN made at run time: WGSL's constant evaluation rejects a NaN constant.
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, 64u);
  let C = params.C;
  if (i >= params.N * C) {
    return;
  }
  let n = i / C;
  let c = i % C;
  let id = ids[n];
  var x = select(nan_f32(), table[params.table_off + min(id, params.V - 1u) * C + c], id < params.V);
  if (HAS_POS) {
    x += pos[params.pos_off + (n % params.T) * C + c];
  }
  out[i] = x;
}
