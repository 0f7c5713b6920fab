// One step of incremental (key/value cached) causal attention, one workgroup per head: the new position's k and v
// are appended to the layer's cache, then its query attends to every cached position up to it:
//   cache_k[p] = k, cache_v[p] = v   (p = state[0], the position being decoded)
//   out[h*D + d] = sum_{j <= p} softmax_j(scale * q_h . cache_k[j]_h) cache_v[j][h*D + d]
// q, k and v are the column blocks [0, C), [C, 2C), [2C, 3C) of the one-row QKV projection. The cache holds the
// context's keys [T, C] then its values [T, C]; each workgroup writes and reads only its own head's columns, so a
// storage barrier inside the workgroup orders the append before the reads.
// Bindings: params (uniform: H, D, T, scale), qkv (read, 3C), cache (read_write, 2 T C), state (u32 read:
// [position, ...]), out (read_write, C).
// Dispatch: (H, 1, 1) workgroups of 64 invocations. T <= MAX_T (scores live in workgroup memory).
// Reference: attentionForward64 in src/reference/attention.ts (its last causal row).

const WG: u32 = 64u;
const MAX_T: u32 = 2048u;

struct Params {
  H: u32,
  D: u32,
  T: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> cache: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> scores: array<f32, MAX_T>;
var<workgroup> red: array<f32, WG>;

fn reduce(lid: u32, v: f32, is_max: bool) -> f32 {
  workgroupBarrier();
  red[lid] = v;
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) {
      red[lid] = select(red[lid] + red[lid + s], max(red[lid], red[lid + s]), is_max);
    }
  }
  workgroupBarrier();
  return red[0];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let lid = lidv.x;
  let h = wid.x;
  let D = params.D;
  let C = params.H * D;
  let T = params.T;
  let p = min(state[0], T - 1u);
  let col = h * D;
  for (var d = lid; d < D; d += WG) {
    cache[p * C + col + d] = qkv[C + col + d];
    cache[(T + p) * C + col + d] = qkv[2u * C + col + d];
  }
  storageBarrier();
  var m = -3.4e38;
  for (var j = lid; j <= p; j += WG) {
    var dot = 0.0;
    for (var d = 0u; d < D; d++) {
      dot += qkv[col + d] * cache[j * C + col + d];
    }
    let s = params.scale * dot;
    scores[j] = s;
    m = max(m, s);
  }
  m = reduce(lid, m, true);
  var part = 0.0;
  for (var j = lid; j <= p; j += WG) {
    let e = exp(scores[j] - m);
    scores[j] = e;
    part += e;
  }
  let total = reduce(lid, part, false);
  for (var d = lid; d < D; d += WG) {
    var acc = 0.0;
    for (var j = 0u; j <= p; j++) {
      acc += scores[j] * cache[(T + j) * C + col + d];
    }
    out[col + d] = acc / total;
  }
}
