// Max and average pooling over NHWC images x [N, H, W, C] -> y [N, OH, OW, C], and their input gradients.
// The window of output pixel (oh, ow) covers input rows oh * stride_h - pad_top + [0, KH) and columns
// ow * stride_w - pad_left + [0, KW); positions outside the image are never read.
//   forward, MAX = 1: y = the window's largest value, taken at its FIRST maximal position in window order (rows top
//                 to bottom, each left to right: strict > while scanning).
//   forward, MAX = 0: y = (sum of the window's in-image values) / divisor; divisor = the in-image count, or KH * KW
//                 when count_include_pad is 1.
//   max_backward: dx[n, h, w, c] = the sum of dy over the windows whose first maximal position is (h, w): each
//                 window covering (h, w) recomputes its argmax from x with the very scan of the forward pass, so
//                 no indices are stored and the result is deterministic (a gather: no atomics).
//   avg_backward: dx[n, h, w, c] = the sum over the windows covering (h, w) of dy / divisor.
// Global average pooling is the average forward / avg_backward with the whole image as the window.
// Bindings: params (uniform: N, H, W, C, KH, KW, stride_h, stride_w, pad_top, pad_left, OH, OW, count_include_pad);
//   forward: x (read), y (read_write); max_backward: x, dy (read), dx (read_write); avg_backward: dy (read),
//   dx (read_write).
// Overrides: WG (workgroup size, default 64); MAX (forward: 1 max, 0 average; default 0).
// Dispatch: one invocation per output element (forward: N*OH*OW*C, backward: N*H*W*C): gridFor(ceil(count / WG)).
// Reference: src/reference/pool2d.ts: maxPool2d, avgPool2d (forward), maxPool2dBackward, avgPool2dBackward.
//#include grid

override WG: u32 = 64u;
override MAX: u32 = 0u;

struct Params {
  N: u32,
  H: u32,
  W: u32,
  C: u32,
  KH: u32,
  KW: u32,
  stride_h: u32,
  stride_w: u32,
  pad_top: u32,
  pad_left: u32,
  OH: u32,
  OW: u32,
  count_include_pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// The in-image part of a window: rows [h0, h1), columns [w0, w1).
struct Window {
  h0: u32,
  h1: u32,
  w0: u32,
  w1: u32,
}

fn window_of(oh: u32, ow: u32) -> Window {
  // Signed: the window may start in the padding, above or left of the image.
  let hs = i32(oh * params.stride_h) - i32(params.pad_top);
  let ws = i32(ow * params.stride_w) - i32(params.pad_left);
  return Window(u32(max(hs, 0)), u32(min(hs + i32(params.KH), i32(params.H))),
                u32(max(ws, 0)), u32(min(ws + i32(params.KW), i32(params.W))));
}

fn x_at(n: u32, h: u32, w: u32, c: u32) -> u32 {
  return ((n * params.H + h) * params.W + w) * params.C + c;
}

// Flat x index of the window's first maximal element (the window always holds one in-image position).
fn argmax(n: u32, c: u32, win: Window) -> u32 {
  var best = x_at(n, win.h0, win.w0, c);
  var best_v = x[best];
  for (var h = win.h0; h < win.h1; h++) {
    for (var w = win.w0; w < win.w1; w++) {
      let i = x_at(n, h, w, c);
      let v = x[i];
      if (v > best_v) {
        best = i;
        best_v = v;
      }
    }
  }
  return best;
}

fn divisor(win: Window) -> f32 {
  if (params.count_include_pad != 0u) {
    return f32(params.KH * params.KW);
  }
  return f32((win.h1 - win.h0) * (win.w1 - win.w0));
}

// (n, row, column, c) of flat index i of an NHWC tensor with `rows` x `cols` pixels.
fn unflat(i: u32, rows: u32, cols: u32) -> vec4<u32> {
  let c = i % params.C;
  let p = i / params.C;
  return vec4<u32>(p / (rows * cols), (p / cols) % rows, p % cols, c);
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= params.N * params.OH * params.OW * params.C) {
    return;
  }
  let o = unflat(i, params.OH, params.OW);
  let win = window_of(o.y, o.z);
  if (MAX != 0u) {
    y[i] = x[argmax(o.x, o.w, win)];
    return;
  }
  var s = 0.0;
  for (var h = win.h0; h < win.h1; h++) {
    for (var w = win.w0; w < win.w1; w++) {
      s += x[x_at(o.x, h, w, o.w)];
    }
  }
  y[i] = s / divisor(win);
}

// The output rows (or columns) whose windows cover input row h: [lo, hi), clipped to [0, out).
fn covering(h: u32, k: u32, stride: u32, pad: u32, out: u32) -> vec2<u32> {
  let p = h + pad;
  var lo = 0u;
  if (p + 1u > k) {
    lo = (p + 1u - k + stride - 1u) / stride;
  }
  return vec2<u32>(lo, min(p / stride + 1u, out));
}

// dx element i: its (n, h, w, c) and the output rows and columns whose windows cover it.
struct Cover {
  p: vec4<u32>,
  rows: vec2<u32>,
  cols: vec2<u32>,
}

fn cover_of(i: u32) -> Cover {
  let p = unflat(i, params.H, params.W);
  return Cover(p, covering(p.y, params.KH, params.stride_h, params.pad_top, params.OH),
               covering(p.z, params.KW, params.stride_w, params.pad_left, params.OW));
}

fn dy_at(n: u32, oh: u32, ow: u32, c: u32) -> f32 {
  return dy[((n * params.OH + oh) * params.OW + ow) * params.C + c];
}

@compute @workgroup_size(WG)
fn max_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= params.N * params.H * params.W * params.C) {
    return;
  }
  let cv = cover_of(i);
  var s = 0.0;
  for (var oh = cv.rows.x; oh < cv.rows.y; oh++) {
    for (var ow = cv.cols.x; ow < cv.cols.y; ow++) {
      if (argmax(cv.p.x, cv.p.w, window_of(oh, ow)) == i) {
        s += dy_at(cv.p.x, oh, ow, cv.p.w);
      }
    }
  }
  dx[i] = s;
}

@compute @workgroup_size(WG)
fn avg_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= params.N * params.H * params.W * params.C) {
    return;
  }
  let cv = cover_of(i);
  var s = 0.0;
  for (var oh = cv.rows.x; oh < cv.rows.y; oh++) {
    for (var ow = cv.cols.x; ow < cv.cols.y; ow++) {
      s += dy_at(cv.p.x, oh, ow, cv.p.w) / divisor(window_of(oh, ow));
    }
  }
  dx[i] = s;
}
