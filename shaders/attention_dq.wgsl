// Attention backward, part 1: dq, and Delta_i = dO_i . out_i (which part 2 reads). Scores are recomputed per block
// of KB keys from the saved lse, so no T x T matrix exists:
//   P_ij = exp(scale q_i.k_j - lse_i),  dS_ij = P_ij (dO_i.v_j - Delta_i),  dq_i = scale * sum_j dS_ij k_j.
// One workgroup per (query tile, b*H + h); each invocation owns ROWS query rows, loops over the keys it may see
// (up to the tile's last row when causal) with workgroup-uniform addresses, and writes its own rows only
// (deterministic, no atomics). As in attention.wgsl nothing is sized by the head: q and dO are re-read per key
// block and dq accumulates in its own output rows, so the pipeline compiles in seconds at any head size.
// Bindings: params, q, k, v (include/attention_common.wgsl), dout, out [B*T, H*D] dense, lse [B, H, T] (read),
// delta [B, H, T], dq (strided by dq_off, dq_stride) (written).
// Overrides: WG, ROWS (1..4), KB (1..8 keys per block).
// Dispatch: (ceil(T / (WG * ROWS)), B * H).
// Reference: attentionBackward in src/reference/attention.ts.
//#include attention_common

override WG: u32 = 8u;
override ROWS: u32 = 4u;
override KB: u32 = 8u;

@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> out: array<f32>;
@group(0) @binding(6) var<storage, read> lse: array<f32>;
@group(0) @binding(7) var<storage, read_write> delta: array<f32>;
@group(0) @binding(8) var<storage, read_write> dq: array<f32>;

fn dense4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(dout[base + d], dout[base + d + 1u], dout[base + d + 2u], dout[base + d + 3u]);
}

fn out4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(out[base + d], out[base + d + 1u], out[base + d + 2u], out[base + d + 3u]);
}

fn dq4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(dq[base + d], dq[base + d + 1u], dq[base + d + 2u], dq[base + d + 3u]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let b = wid.y / params.H;
  let h = wid.y % params.H;
  let C = params.H * params.D;
  let nv = (params.D + 3u) / 4u;
  let t0 = wid.x * WG * ROWS;
  var lrow: array<f32, MAX_ROWS>;
  var drow: array<f32, MAX_ROWS>;
  for (var r = 0u; r < ROWS; r++) {
    // Rows past T compute on row T-1 and are never stored.
    let t = min(t0 + lid.x + r * WG, T - 1u);
    let ob = (b * T + t) * C + h * params.D;
    var dl = 0.0;
    for (var i = 0u; i < nv; i++) {
      dl += dot(pad4(dense4(ob, 4u * i), 4u * i), out4(ob, 4u * i));
    }
    drow[r] = dl;
    lrow[r] = lse[wid.y * T + t];
  }
  let last = select(T, min(T, t0 + WG * ROWS), params.causal != 0u);
  for (var jb = 0u; jb < last; jb += KB) {
    var s = array<f32, MAX_ROWS * MAX_KB>();
    var dp = array<f32, MAX_ROWS * MAX_KB>();
    for (var i = 0u; i < nv; i++) {
      var qv: array<vec4<f32>, MAX_ROWS>;
      var gv: array<vec4<f32>, MAX_ROWS>;
      for (var r = 0u; r < ROWS; r++) {
        let t = min(t0 + lid.x + r * WG, T - 1u);
        qv[r] = pad4(q4(head_at(params.q_off, params.q_stride, b * T + t, h), 4u * i), 4u * i);
        gv[r] = pad4(dense4((b * T + t) * C + h * params.D, 4u * i), 4u * i);
      }
      for (var kb = 0u; kb < KB; kb++) {
        let row = b * T + min(jb + kb, T - 1u);
        let kk = k4(head_at(params.k_off, params.k_stride, row, h), 4u * i);
        let vv = v4(head_at(params.v_off, params.v_stride, row, h), 4u * i);
        for (var r = 0u; r < ROWS; r++) {
          s[r * MAX_KB + kb] += dot(qv[r], kk);
          dp[r * MAX_KB + kb] += dot(gv[r], vv);
        }
      }
    }
    // dS, with dq's factor scale folded in.
    var ds: array<f32, MAX_ROWS * MAX_KB>;
    for (var r = 0u; r < ROWS; r++) {
      for (var kb = 0u; kb < KB; kb++) {
        let e = r * MAX_KB + kb;
        let seen = visible(t0 + lid.x + r * WG, jb + kb);
        ds[e] = select(0.0, exp(s[e] * params.scale - lrow[r]) * (dp[e] - drow[r]) * params.scale, seen);
      }
    }
    for (var i = 0u; i < nv; i++) {
      var o: array<vec4<f32>, MAX_ROWS>;
      for (var r = 0u; r < ROWS; r++) {
        let t = min(t0 + lid.x + r * WG, T - 1u);
        o[r] = select(dq4(head_at(params.dq_off, params.dq_stride, b * T + t, h), 4u * i), vec4<f32>(0.0), jb == 0u);
      }
      for (var kb = 0u; kb < KB; kb++) {
        let kk = k4(head_at(params.k_off, params.k_stride, b * T + min(jb + kb, T - 1u), h), 4u * i);
        for (var r = 0u; r < ROWS; r++) {
          o[r] += ds[r * MAX_KB + kb] * kk;
        }
      }
      for (var r = 0u; r < ROWS; r++) {
        let t = t0 + lid.x + r * WG;
        if (t < T) {
          let gb = head_at(params.dq_off, params.dq_stride, b * T + t, h);
          for (var c = 0u; c < 4u; c++) {
            if (4u * i + c < params.D) {
              dq[gb + 4u * i + c] = o[r][c];
            }
          }
        }
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let t = t0 + lid.x + r * WG;
    if (t < T) {
      delta[wid.y * T + t] = drow[r];
    }
  }
}
