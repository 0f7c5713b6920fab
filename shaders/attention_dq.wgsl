// Attention backward, part 1: dq, and Delta_i = dO_i . out_i (which part 2 reads). Scores are recomputed per block
// of 4 keys from the saved lse, so no T x T matrix exists:
//   P_ij = exp(scale q_i.k_j - lse_i),  dS_ij = P_ij (dO_i.v_j - Delta_i),  dq_i = scale * sum_j dS_ij k_j.
// One workgroup per (query tile, b*H + h); each invocation owns ROWS query rows, loops over the keys it may see
// (up to the tile's last row when causal) with workgroup-uniform addresses, and writes its own rows only
// (deterministic, no atomics).
// Bindings: params, q, k, v (include/attention_common.wgsl), dout, out [B*T, H*D] dense, lse [B, H, T] (read),
// delta [B, H, T], dq (strided by dq_off, dq_stride) (written).
// Overrides: WG, ROWS (1..4), DV (vec4s per head row, D <= 4*DV).
// Dispatch: (ceil(T / (WG * ROWS)), B * H).
// Reference: attentionBackward in src/reference/attention.ts.
//#include attention_common

override WG: u32 = 16u;
override ROWS: u32 = 1u;
override DV: u32 = 4u;

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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let b = wid.y / params.H;
  let h = wid.y % params.H;
  let C = params.H * params.D;
  let t0 = wid.x * WG * ROWS;
  var qr: array<vec4<f32>, REGS>;
  var go: array<vec4<f32>, REGS>;
  var acc: array<vec4<f32>, REGS>;
  var lrow: array<f32, MAX_ROWS>;
  var drow: array<f32, MAX_ROWS>;
  for (var r = 0u; r < ROWS; r++) {
    let t = min(t0 + lid.x + r * WG, T - 1u);
    let qb = head_at(params.q_off, params.q_stride, b * T + t, h);
    let ob = (b * T + t) * C + h * params.D;
    var dl = 0.0;
    for (var i = 0u; i < DV; i++) {
      qr[r * DV + i] = pad4(q4(qb, 4u * i), 4u * i) * params.scale;
      go[r * DV + i] = pad4(dense4(ob, 4u * i), 4u * i);
      dl += dot(go[r * DV + i], out4(ob, 4u * i));
      acc[r * DV + i] = vec4<f32>(0.0);
    }
    drow[r] = dl;
    lrow[r] = lse[wid.y * T + t];
  }
  let last = select(T, min(T, t0 + WG * ROWS), params.causal != 0u);
  for (var j = 0u; j < last; j++) {
    let kb = head_at(params.k_off, params.k_stride, b * T + j, h);
    let vb = head_at(params.v_off, params.v_stride, b * T + j, h);
    var kk: array<vec4<f32>, REGS>;
    var s = array<f32, MAX_ROWS>();
    var dp = array<f32, MAX_ROWS>();
    for (var i = 0u; i < DV; i++) {
      kk[i] = k4(kb, 4u * i);
      let vv = v4(vb, 4u * i);
      for (var r = 0u; r < ROWS; r++) {
        s[r] += dot(qr[r * DV + i], kk[i]);
        dp[r] += dot(go[r * DV + i], vv);
      }
    }
    var ds: array<f32, MAX_ROWS>;
    for (var r = 0u; r < ROWS; r++) {
      let seen = visible(t0 + lid.x + r * WG, j);
      ds[r] = select(0.0, exp(s[r] - lrow[r]) * (dp[r] - drow[r]), seen);
    }
    for (var i = 0u; i < DV; i++) {
      for (var r = 0u; r < ROWS; r++) {
        acc[r * DV + i] += ds[r] * kk[i];
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let t = t0 + lid.x + r * WG;
    if (t < T) {
      delta[wid.y * T + t] = drow[r];
      let gb = head_at(params.dq_off, params.dq_stride, b * T + t, h);
      for (var i = 0u; i < DV; i++) {
        let g = acc[r * DV + i] * params.scale;
        for (var c = 0u; c < 4u; c++) {
          if (4u * i + c < params.D) {
            dq[gb + 4u * i + c] = g[c];
          }
        }
      }
    }
  }
}
