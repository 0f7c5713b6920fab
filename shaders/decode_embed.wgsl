// The embedding of the one token being decoded: the token id is read on the GPU from the generated sequence at
// the decoder's position, so successive decode steps need no write from the CPU:
//   out[c] = table[tokens[p] * C + c] + (has_pos ? pos[p * C + c] : 0),   p = state[0]
// An id outside [0, V) writes NaN (the CPU checks the prompt; sampled ids are always inside).
// Bindings: params (uniform: V, C, has_pos), tokens (u32 read), state (u32 read: [position, ...]), table (read,
// [V, C]), pos (read, [T, C]; any buffer when has_pos is 0), out (read_write, C).
// Dispatch: (ceil(C / 64), 1, 1).
// Reference: embeddingForward in src/reference/embedding.ts (one row, plus a row of the positional table).

struct Params {
  V: u32,
  C: u32,
  has_pos: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read> table: array<f32>;
@group(0) @binding(4) var<storage, read> pos: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let C = params.C;
  if (c >= C) {
    return;
  }
  let p = state[0];
  let id = tokens[p];
  var nan_bits = 0x7fc00000u;
  var x = select(bitcast<f32>(nan_bits), table[min(id, params.V - 1u) * C + c], id < params.V);
  if (params.has_pos != 0u) {
    x += pos[p * C + c];
  }
  out[c] = x;
}
