// Fused multi-head attention forward (FlashAttention-2 style): out = softmax(scale * q k^T, causal mask) v per
// (batch, head), with an online softmax (running max m and sum l per query row, rescaled once per block of 4 keys),
// so the T x T scores never exist beyond one block. One workgroup per (query tile, b*H + h); each invocation owns
// ROWS query rows of the tile (rows t0 + lid + r*WG) and keeps q and its output accumulator in registers. The key
// loop is the same for the whole workgroup (up to the tile's last row when causal: later key tiles are skipped),
// so every k and v load has a workgroup-uniform address and each value loaded serves ROWS rows.
// Bindings: params, q, k, v (include/attention_common.wgsl, strided), out [B*T, H*D] dense, lse [B, H, T].
// Overrides: WG (invocations per workgroup), ROWS (1..4 query rows per invocation), DV (vec4s per head row, D <= 4*DV).
// Dispatch: (ceil(T / (WG * ROWS)), B * H).
// Reference: attentionForward in src/reference/attention.ts.
//#include attention_common

override WG: u32 = 16u;
override ROWS: u32 = 1u;
override DV: u32 = 4u;

@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let b = wid.y / params.H;
  let h = wid.y % params.H;
  let t0 = wid.x * WG * ROWS;
  var qr: array<vec4<f32>, REGS>;
  var acc: array<vec4<f32>, REGS>;
  var m: array<f32, MAX_ROWS>;
  var l: array<f32, MAX_ROWS>;
  for (var r = 0u; r < ROWS; r++) {
    // Rows past T compute on row T-1 and are never stored.
    let t = min(t0 + lid.x + r * WG, T - 1u);
    let qb = head_at(params.q_off, params.q_stride, b * T + t, h);
    for (var i = 0u; i < DV; i++) {
      qr[r * DV + i] = pad4(q4(qb, 4u * i), 4u * i) * params.scale;
      acc[r * DV + i] = vec4<f32>(0.0);
    }
    m[r] = NEG_BIG;
    l[r] = 0.0;
  }
  let last = select(T, min(T, t0 + WG * ROWS), params.causal != 0u);
  for (var j = 0u; j < last; j++) {
    let kb = head_at(params.k_off, params.k_stride, b * T + j, h);
    let vb = head_at(params.v_off, params.v_stride, b * T + j, h);
    var s = array<f32, MAX_ROWS>();
    for (var i = 0u; i < DV; i++) {
      let kk = k4(kb, 4u * i);
      for (var r = 0u; r < ROWS; r++) {
        s[r] += dot(qr[r * DV + i], kk);
      }
    }
    var p: array<f32, MAX_ROWS>;
    for (var r = 0u; r < ROWS; r++) {
      let seen = visible(t0 + lid.x + r * WG, j);
      // Rescale only when the running max grows, which becomes rare a few keys into a row.
      if (seen && s[r] > m[r]) {
        let corr = exp(m[r] - s[r]);
        l[r] *= corr;
        for (var i = 0u; i < DV; i++) {
          acc[r * DV + i] *= corr;
        }
        m[r] = s[r];
      }
      p[r] = select(0.0, exp(s[r] - m[r]), seen);
      l[r] += p[r];
    }
    for (var i = 0u; i < DV; i++) {
      let vv = v4(vb, 4u * i);
      for (var r = 0u; r < ROWS; r++) {
        acc[r * DV + i] += p[r] * vv;
      }
    }
  }
  let C = params.H * params.D;
  for (var r = 0u; r < ROWS; r++) {
    let t = t0 + lid.x + r * WG;
    if (t < T) {
      let inv = 1.0 / l[r];
      let ob = (b * T + t) * C + h * params.D;
      // Constant indices only, so the accumulators can stay in registers.
      for (var i = 0u; i < DV; i++) {
        let o = acc[r * DV + i] * inv;
        for (var c = 0u; c < 4u; c++) {
          if (4u * i + c < params.D) {
            out[ob + 4u * i + c] = o[c];
          }
        }
      }
      lse[wid.y * T + t] = m[r] + log(l[r]);
    }
  }
}
