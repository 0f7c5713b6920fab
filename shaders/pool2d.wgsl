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
//   max_backward_cells, for windows that do not overlap (stride >= window on both axes): one invocation per
//                 window writes its whole cell of dx (include/pool2d_window.wgsl): dy at the argmax, zero elsewhere.
//                 A quarter of the gather's invocations for 2x2 windows, one argmax scan each instead of one per
//                 covering window, and no division in the covering arithmetic (llvmpipe splits a vector division
//                 into one per lane).
//   avg_backward: dx[n, h, w, c] = the sum over the windows covering (h, w) of dy / divisor.
// Global average pooling is the average forward / avg_backward with the whole image as the window.
// Bindings: params (uniform: N, H, W, C, KH, KW, stride_h, stride_w, pad_top, pad_left, OH, OW, count_include_pad);
//   forward: x (read), y (read_write); max_backward(_cells): x, dy (read), dx (read_write); avg_backward: dy (read),
//   dx (read_write).
// Overrides: WG (workgroup size, default 64); MAX (forward: 1 max, 0 average; default 0).
// Dispatch: one invocation per element counted (forward and max_backward_cells: N*OH*OW*C, max_backward and
//   avg_backward: N*H*W*C): gridFor(ceil(count / WG)).
// Reference: src/reference/pool2d.ts: maxPool2d, avgPool2d (forward), maxPool2dBackward, avgPool2dBackward.
//#include grid
//#include pool2d_window

override WG: u32 = 64u;
override MAX: u32 = 0u;

@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

fn divisor(win: Window) -> f32 {
  if (params.count_include_pad != 0u) {
    return f32(params.KH * params.KW);
  }
  return f32((win.h1 - win.h0) * (win.w1 - win.w0));
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

@compute @workgroup_size(WG)
fn max_backward_cells(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid, WG);
  if (i >= params.N * params.OH * params.OW * params.C) {
    return;
  }
  let o = unflat(i, params.OH, params.OW);
  let best = argmax(o.x, o.w, window_of(o.y, o.z));
  let g = dy[i];
  let rows = cell(o.y, params.stride_h, params.pad_top, params.OH, params.H);
  let cols = cell(o.z, params.stride_w, params.pad_left, params.OW, params.W);
  for (var h = rows.x; h < rows.y; h++) {
    for (var w = cols.x; w < cols.y; w++) {
      let j = x_at(o.x, h, w, o.w);
      dx[j] = select(0.0, g, j == best);
    }
  }
}
