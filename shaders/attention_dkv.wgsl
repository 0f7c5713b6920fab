// Attention backward, part 2: dk and dv, from the saved lse and the Delta written by attention_dq:
//   P_ij = exp(scale q_i.k_j - lse_i),  dv_j = sum_i P_ij dO_i,  dk_j = scale * sum_i P_ij (dO_i.v_j - Delta_i) q_i.
// One workgroup per (key tile, b*H + h); each invocation owns ROWS key rows (k, v, dk, dv in registers) and loops
// over the query rows that see them (from the tile's first key on when causal: earlier query tiles are skipped)
// in blocks of 4, with workgroup-uniform addresses. Each output is written by one invocation: no atomics.
// Bindings: params, q, k, v (include/attention_common.wgsl), dout [B*T, H*D], lse, delta [B, H, T] (read),
// dk, dv (strided by dk_off/dk_stride, dv_off/dv_stride) (written).
// Overrides: WG, ROWS (1..4), DV (vec4s per head row, D <= 4*DV). With params.fused_kv set, dv is written through the
// dk binding (dk and dv are column blocks of one buffer, which two writable bindings of one dispatch may not share);
// a uniform rather than an override, so both layouts share one pipeline (this one compiles slowest).
// Dispatch: (ceil(T / (WG * ROWS)), B * H).
// Reference: attentionBackward in src/reference/attention.ts.
//#include attention_common

override WG: u32 = 16u;
override ROWS: u32 = 1u;
override DV: u32 = 4u;

@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read> delta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dk: array<f32>;
@group(0) @binding(8) var<storage, read_write> dv: array<f32>;

fn dense4(base: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(dout[base + d], dout[base + d + 1u], dout[base + d + 2u], dout[base + d + 3u]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let b = wid.y / params.H;
  let h = wid.y % params.H;
  let C = params.H * params.D;
  let j0 = wid.x * WG * ROWS;
  var kr: array<vec4<f32>, REGS>;
  var vr: array<vec4<f32>, REGS>;
  var gk: array<vec4<f32>, REGS>;
  var gv: array<vec4<f32>, REGS>;
  for (var r = 0u; r < ROWS; r++) {
    let row = b * T + min(j0 + lid.x + r * WG, T - 1u);
    let kb = head_at(params.k_off, params.k_stride, row, h);
    let vb = head_at(params.v_off, params.v_stride, row, h);
    for (var i = 0u; i < DV; i++) {
      kr[r * DV + i] = pad4(k4(kb, 4u * i), 4u * i) * params.scale;
      vr[r * DV + i] = pad4(v4(vb, 4u * i), 4u * i);
      gk[r * DV + i] = vec4<f32>(0.0);
      gv[r * DV + i] = vec4<f32>(0.0);
    }
  }
  let first = select(0u, j0, params.causal != 0u);
  for (var t = first; t < T; t++) {
    let qb = head_at(params.q_off, params.q_stride, b * T + t, h);
    let ob = (b * T + t) * C + h * params.D;
    let ls = lse[wid.y * T + t];
    let dl = delta[wid.y * T + t];
    var qq: array<vec4<f32>, REGS>;
    var oo: array<vec4<f32>, REGS>;
    var s = array<f32, MAX_ROWS>();
    var dp = array<f32, MAX_ROWS>();
    for (var i = 0u; i < DV; i++) {
      qq[i] = q4(qb, 4u * i);
      oo[i] = dense4(ob, 4u * i);
      for (var r = 0u; r < ROWS; r++) {
        s[r] += dot(kr[r * DV + i], qq[i]);
        dp[r] += dot(vr[r * DV + i], oo[i]);
      }
    }
    var p: array<f32, MAX_ROWS>;
    var ds: array<f32, MAX_ROWS>;
    for (var r = 0u; r < ROWS; r++) {
      // Query t sees key j unless the mask hides it (j in t's future).
      let seen = params.causal == 0u || j0 + lid.x + r * WG <= t;
      p[r] = select(0.0, exp(s[r] - ls), seen);
      ds[r] = p[r] * (dp[r] - dl);
    }
    for (var i = 0u; i < DV; i++) {
      for (var r = 0u; r < ROWS; r++) {
        gv[r * DV + i] += p[r] * oo[i];
        gk[r * DV + i] += ds[r] * qq[i];
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let j = j0 + lid.x + r * WG;
    if (j < T) {
      let kb = head_at(params.dk_off, params.dk_stride, b * T + j, h);
      let vb = head_at(params.dv_off, params.dv_stride, b * T + j, h);
      for (var i = 0u; i < DV; i++) {
        let g = gk[r * DV + i] * params.scale;
        let u = gv[r * DV + i];
        for (var c = 0u; c < 4u; c++) {
          if (4u * i + c < params.D) {
            dk[kb + 4u * i + c] = g[c];
            if (params.fused_kv != 0u) {
              dk[vb + 4u * i + c] = u[c];
            } else {
              dv[vb + 4u * i + c] = u[c];
            }
          }
        }
      }
    }
  }
}
