// Attention backward, part 2: dk and dv, from the saved lse and the Delta written by attention_dq:
//   P_ij = exp(scale q_i.k_j - lse_i),  dv_j = sum_i P_ij dO_i,  dk_j = scale * sum_i P_ij (dO_i.v_j - Delta_i) q_i.
// One workgroup per (key tile, b*H + h); each invocation owns ROWS key rows and loops over the query rows that see
// them (from the tile's first key on when causal: earlier query tiles are skipped) in blocks of KB, with
// workgroup-uniform addresses. Each output is written by one invocation: no atomics. As in attention.wgsl nothing
// is sized by the head: k and v are re-read per query block and dk, dv accumulate in their own output rows.
// Bindings: params, q, k, v (include/attention_common.wgsl), dout [B*T, H*D], lse, delta [B, H, T] (read),
// dk, dv (strided by dk_off/dk_stride, dv_off/dv_stride) (written).
// Overrides: WG, ROWS (1..4), KB (1..8 query rows per block). With params.fused_kv set, dv is read and written
// through the dk binding (dk and dv are column blocks of one buffer, which two writable bindings of one dispatch
// may not share); a uniform rather than an override, so both layouts share one pipeline.
// Dispatch: (ceil(T / (WG * ROWS)), B * H).
// Reference: attentionBackward in src/reference/attention.ts.
//#include attention_common

override WG: u32 = 8u;
override ROWS: u32 = 4u;
override KB: u32 = 8u;

@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read> delta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dk: array<f32>;
@group(0) @binding(8) var<storage, read_write> dv: array<f32>;

fn dense4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(dout[base + d], dout[base + d + 1u], dout[base + d + 2u], dout[base + d + 3u]);
}

fn dk4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(dk[base + d], dk[base + d + 1u], dk[base + d + 2u], dk[base + d + 3u]);
}

// dv's 4 elements, through the dk binding when they share a buffer.
fn dv4(base: u32, d: u32) -> vec4<f32> {
  if (params.fused_kv != 0u) {
    return dk4(base, d);
  }
  return vec4<f32>(dv[base + d], dv[base + d + 1u], dv[base + d + 2u], dv[base + d + 3u]);
}

// Writes the lanes of dk and dv that lie inside the head.
fn store_grads(kb: u32, vb: u32, d: u32, g: vec4<f32>, u: vec4<f32>) {
  for (var c = 0u; c < 4u; c++) {
    if (d + c < params.D) {
      dk[kb + d + c] = g[c];
      if (params.fused_kv != 0u) {
        dk[vb + d + c] = u[c];
      } else {
        dv[vb + d + c] = u[c];
      }
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
  let j0 = wid.x * WG * ROWS;
  let first = select(0u, j0, params.causal != 0u);
  for (var tb = first; tb < T; tb += KB) {
    var s = array<f32, MAX_ROWS * MAX_KB>();
    var dp = array<f32, MAX_ROWS * MAX_KB>();
    for (var i = 0u; i < nv; i++) {
      var kv: array<vec4<f32>, MAX_ROWS>;
      var vr: array<vec4<f32>, MAX_ROWS>;
      for (var r = 0u; r < ROWS; r++) {
        // Key rows past T compute on row T-1 and are never stored.
        let row = b * T + min(j0 + lid.x + r * WG, T - 1u);
        kv[r] = pad4(k4(head_at(params.k_off, params.k_stride, row, h), 4u * i), 4u * i);
        vr[r] = pad4(v4(head_at(params.v_off, params.v_stride, row, h), 4u * i), 4u * i);
      }
      for (var qb = 0u; qb < KB; qb++) {
        let row = b * T + min(tb + qb, T - 1u);
        let qq = q4(head_at(params.q_off, params.q_stride, row, h), 4u * i);
        let oo = dense4(row * C + h * params.D, 4u * i);
        for (var r = 0u; r < ROWS; r++) {
          s[r * MAX_KB + qb] += dot(kv[r], qq);
          dp[r * MAX_KB + qb] += dot(vr[r], oo);
        }
      }
    }
    // P and dS (dk's factor scale folded in) of key row r and query tb + qb.
    var p: array<f32, MAX_ROWS * MAX_KB>;
    var ds: array<f32, MAX_ROWS * MAX_KB>;
    for (var qb = 0u; qb < KB; qb++) {
      let t = min(tb + qb, T - 1u);
      let ls = lse[wid.y * T + t];
      let dl = delta[wid.y * T + t];
      for (var r = 0u; r < ROWS; r++) {
        let e = r * MAX_KB + qb;
        // Query t sees key j unless the mask hides it (j in t's future); queries past T see nothing.
        let seen = tb + qb < T && (params.causal == 0u || j0 + lid.x + r * WG <= tb + qb);
        p[e] = select(0.0, exp(s[e] * params.scale - ls), seen);
        ds[e] = p[e] * (dp[e] - dl) * params.scale;
      }
    }
    for (var i = 0u; i < nv; i++) {
      var gk: array<vec4<f32>, MAX_ROWS>;
      var gv: array<vec4<f32>, MAX_ROWS>;
      for (var r = 0u; r < ROWS; r++) {
        let row = b * T + min(j0 + lid.x + r * WG, T - 1u);
        gk[r] = select(dk4(head_at(params.dk_off, params.dk_stride, row, h), 4u * i), vec4<f32>(0.0), tb == first);
        gv[r] = select(dv4(head_at(params.dv_off, params.dv_stride, row, h), 4u * i), vec4<f32>(0.0), tb == first);
      }
      for (var qb = 0u; qb < KB; qb++) {
        let row = b * T + min(tb + qb, T - 1u);
        let qq = q4(head_at(params.q_off, params.q_stride, row, h), 4u * i);
        let oo = dense4(row * C + h * params.D, 4u * i);
        for (var r = 0u; r < ROWS; r++) {
          gk[r] += ds[r * MAX_KB + qb] * qq;
          gv[r] += p[r * MAX_KB + qb] * oo;
        }
      }
      for (var r = 0u; r < ROWS; r++) {
        let j = j0 + lid.x + r * WG;
        if (j < T) {
          let row = b * T + j;
          store_grads(head_at(params.dk_off, params.dk_stride, row, h), head_at(params.dv_off, params.dv_stride, row, h), 4u * i, gk[r], gv[r]);
        }
      }
    }
  }
}
