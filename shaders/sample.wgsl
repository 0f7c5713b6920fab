// Token sampling from rows of logits, one workgroup per row:
//   temperature == 0: the first index of the largest logit (greedy).
//   otherwise: index i with probability softmax(logits / temperature)_i over the kept logits, where top_k in
//   1..V-1 keeps every logit >= the k-th largest (ties kept) and 0 keeps all. The uniform draw is
//   u = (hash(seed, counter) >> 8) / 2^24 with hash a counter-based PCG mix, so a (seed, counter) pair always
//   draws the same token: the row's index is the first i whose running sum of weights exceeds u * total.
// Modes (uniform `mode`):
//   0: rows of logits, row r drawn with counter state[1] + r, its token written to tokens[r]; state unchanged.
//   1: one row during generation: counter state[1], token written to tokens[state[0] + 1]; then state[0] += 1
//      (the position of the next token fed) and state[1] += 1 (the next draw).
//   2: no draw: state[0] += 1 only (a prompt token consumed during prefill).
// Bindings: params (uniform: V, top_k, temperature, seed, mode), logits (read, rows * V), state (u32
// read_write: [position, counter]), tokens (u32 read_write).
// Dispatch: (rows, 1, 1) workgroups of 64 invocations (1 for modes 1 and 2).
// Reference: sampleToken in src/reference/sample.ts.

const WG: u32 = 64u;

struct Params {
  V: u32,
  top_k: u32,
  temperature: f32,
  seed: u32,
  mode: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> tokens: array<u32>;

var<workgroup> red_f: array<f32, WG>;
var<workgroup> red_u: array<u32, WG>;
var<workgroup> shared_state: vec2<u32>;

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

// Uniform in [0, 1) with 24 bits, the same on the CPU (uniformDraw in src/reference/sample.ts).
fn uniform_draw(seed: u32, counter: u32) -> f32 {
  return f32(pcg(pcg(seed) ^ counter) >> 8u) * (1.0 / 16777216.0);
}

// Floats mapped to u32 keys whose unsigned order is the floats' order.
fn order_key(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn sum_u(lid: u32, v: u32) -> u32 {
  workgroupBarrier();
  red_u[lid] = v;
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) {
      red_u[lid] = red_u[lid] + red_u[lid + s];
    }
  }
  workgroupBarrier();
  return red_u[0];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let lid = lidv.x;
  if (lid == 0u) {
    shared_state = vec2<u32>(state[0], state[1]);
  }
  workgroupBarrier();
  let st = shared_state;
  if (params.mode == 2u) {
    if (lid == 0u) {
      state[0] = st.x + 1u;
    }
    return;
  }
  let V = params.V;
  let row = wid.x;
  let base = row * V;
  let chunk = (V + WG - 1u) / WG;
  let lo = min(lid * chunk, V);
  let hi = min(lo + chunk, V);
  let counter = st.y + select(0u, row, params.mode == 0u);
  let greedy = params.temperature == 0.0;

  // The largest logit of this invocation's chunk, its first index on ties.
  var best = -3.4e38;
  var best_i = V;
  for (var i = lo; i < hi; i++) {
    let x = logits[base + i];
    if (x > best || best_i == V) {
      best = x;
      best_i = i;
    }
  }
  red_f[lid] = best;
  red_u[lid] = best_i;
  workgroupBarrier();
  var top = red_f[0];
  var top_i = red_u[0];
  for (var t = 1u; t < WG; t++) {
    if (red_u[t] < V && (red_f[t] > top || top_i >= V)) {
      top = red_f[t];
      top_i = red_u[t];
    }
  }

  var pick = top_i;
  if (!greedy) {
    // The k-th largest logit's key, bit by bit: the largest key with at least k logits at or above it.
    var threshold = 0u;
    if (params.top_k > 0u && params.top_k < V) {
      for (var bit = 31i; bit >= 0i; bit--) {
        let cand = threshold | (1u << u32(bit));
        var n = 0u;
        for (var i = lo; i < hi; i++) {
          n += select(0u, 1u, order_key(logits[base + i]) >= cand);
        }
        if (sum_u(lid, n) >= params.top_k) {
          threshold = cand;
        }
      }
    }
    let inv_t = 1.0 / params.temperature;
    var part = 0.0;
    for (var i = lo; i < hi; i++) {
      let x = logits[base + i];
      if (order_key(x) >= threshold) {
        part += exp((x - top) * inv_t);
      }
    }
    workgroupBarrier();
    red_f[lid] = part;
    workgroupBarrier();
    // One invocation walks the chunk sums, then the chosen chunk, in index order.
    if (lid == 0u) {
      var total = 0.0;
      for (var t = 0u; t < WG; t++) {
        total += red_f[t];
      }
      let goal = uniform_draw(params.seed, counter) * total;
      var acc = 0.0;
      var c = 0u;
      loop {
        if (c + 1u >= WG || acc + red_f[c] > goal) {
          break;
        }
        acc += red_f[c];
        c++;
      }
      let clo = min(c * chunk, V);
      let chi = min(clo + chunk, V);
      pick = top_i;
      for (var i = clo; i < chi; i++) {
        let x = logits[base + i];
        if (order_key(x) >= threshold) {
          pick = i;
          acc += exp((x - top) * inv_t);
          if (acc > goal) {
            break;
          }
        }
      }
    }
  }
  if (lid == 0u) {
    if (params.mode == 0u) {
      tokens[row] = pick;
    } else {
      tokens[st.x + 1u] = pick;
      state[0] = st.x + 1u;
      state[1] = st.y + 1u;
    }
  }
}
