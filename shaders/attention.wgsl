// Fused multi-head attention forward (FlashAttention-2 style): out = softmax(scale * q k^T, causal mask) v per
// (batch, head), with an online softmax (running max m and sum l per query row, rescaled once per block of KB
// keys), so the T x T scores never exist beyond one block. One workgroup per (query tile, b*H + h); each invocation
// owns ROWS query rows (t0 + lid + r*WG). The key loop is the same for the whole workgroup (up to the tile's last
// row when causal), so every k and v load has a workgroup-uniform address, and each one serves ROWS rows.
// Nothing is sized by the head: the loops over the head's vec4s run to a uniform bound and are not unrolled, the
// q rows are re-read per key block, and the output accumulator lives in `out` itself (each row read, rescaled and
// written back per key block by its one owner), so the registers hold only ROWS x KB scores. Lavapipe compiles a
// pipeline of this shape in seconds at any head size, where head-sized register arrays took minutes.
// Bindings: params, q, k, v (include/attention_common.wgsl, strided), out [B*T, H*D] dense, lse [B, H, T].
// Overrides: WG (invocations per workgroup), ROWS (1..4 query rows per invocation), KB (1..8 keys per block).
// Dispatch: (ceil(T / (WG * ROWS)), B * H).
// Reference: attentionForward in src/reference/attention.ts.
//#include attention_common

override WG: u32 = 8u;
override ROWS: u32 = 4u;
override KB: u32 = 8u;

@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;

fn out4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(out[base + d], out[base + d + 1u], out[base + d + 2u], out[base + d + 3u]);
}

// Writes the lanes of x that lie inside the head.
fn store_out4(base: u32, d: u32, x: vec4<f32>) {
  for (var c = 0u; c < 4u; c++) {
    if (d + c < params.D) {
      out[base + d + c] = x[c];
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let b = wid.y / params.H;
  let h = wid.y % params.H;
  let C = params.H * params.D;
  let nv = (params.D + 3u) / 4u;
  let t0 = wid.x * WG * ROWS;
  var m: array<f32, MAX_ROWS>;
  var l: array<f32, MAX_ROWS>;
  for (var r = 0u; r < ROWS; r++) {
    m[r] = NEG_BIG;
    l[r] = 0.0;
  }
  let last = select(T, min(T, t0 + WG * ROWS), params.causal != 0u);
  for (var jb = 0u; jb < last; jb += KB) {
    // Scores of this block: s[r * MAX_KB + kb] for row r and key jb + kb (keys past T clamp to T-1, then masked).
    var s = array<f32, MAX_ROWS * MAX_KB>();
    for (var i = 0u; i < nv; i++) {
      var qv: array<vec4<f32>, MAX_ROWS>;
      for (var r = 0u; r < ROWS; r++) {
        // Rows past T compute on row T-1 and are never stored.
        let t = min(t0 + lid.x + r * WG, T - 1u);
        qv[r] = pad4(q4(head_at(params.q_off, params.q_stride, b * T + t, h), 4u * i), 4u * i);
      }
      for (var kb = 0u; kb < KB; kb++) {
        let kk = k4(head_at(params.k_off, params.k_stride, b * T + min(jb + kb, T - 1u), h), 4u * i);
        for (var r = 0u; r < ROWS; r++) {
          s[r * MAX_KB + kb] += dot(qv[r], kk);
        }
      }
    }
    var corr: array<f32, MAX_ROWS>;
    var p: array<f32, MAX_ROWS * MAX_KB>;
    for (var r = 0u; r < ROWS; r++) {
      let t = t0 + lid.x + r * WG;
      var mx = m[r];
      for (var kb = 0u; kb < KB; kb++) {
        if (visible(t, jb + kb)) {
          mx = max(mx, s[r * MAX_KB + kb] * params.scale);
        }
      }
      corr[r] = exp(m[r] - mx);
      l[r] *= corr[r];
      m[r] = mx;
      for (var kb = 0u; kb < KB; kb++) {
        p[r * MAX_KB + kb] = select(0.0, exp(s[r * MAX_KB + kb] * params.scale - mx), visible(t, jb + kb));
        l[r] += p[r * MAX_KB + kb];
      }
    }
    // out = out * corr + p v, a vec4 of the head at a time; the first block starts from zero, not from out.
    for (var i = 0u; i < nv; i++) {
      var o: array<vec4<f32>, MAX_ROWS>;
      for (var r = 0u; r < ROWS; r++) {
        let t = min(t0 + lid.x + r * WG, T - 1u);
        o[r] = select(out4((b * T + t) * C + h * params.D, 4u * i) * corr[r], vec4<f32>(0.0), jb == 0u);
      }
      for (var kb = 0u; kb < KB; kb++) {
        let vv = v4(head_at(params.v_off, params.v_stride, b * T + min(jb + kb, T - 1u), h), 4u * i);
        for (var r = 0u; r < ROWS; r++) {
          o[r] += p[r * MAX_KB + kb] * vv;
        }
      }
      for (var r = 0u; r < ROWS; r++) {
        let t = t0 + lid.x + r * WG;
        if (t < T) {
          store_out4((b * T + t) * C + h * params.D, 4u * i, o[r]);
        }
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let t = t0 + lid.x + r * WG;
    if (t < T) {
      let inv = 1.0 / l[r];
      let ob = (b * T + t) * C + h * params.D;
      for (var i = 0u; i < nv; i++) {
        store_out4(ob, 4u * i, out4(ob, 4u * i) * inv);
      }
      lse[wid.y * T + t] = m[r] + log(l[r]);
    }
  }
}
