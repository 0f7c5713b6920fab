// Max and average pooling over NHWC images x [N, H, W, C] -> y [N, OH, OW, C], and their input gradients.
// The window of output pixel (oh, ow) covers input rows oh * stride_h - pad_top + [0, KH) and columns
// ow * stride_w - pad_left + [0, KW); positions outside the image are never read.
//   forward, MAX = 1: y = the window's largest value, taken at its FIRST maximal position in window order (rows top
//                 to bottom, each left to right: strict > while scanning; a NaN counts as maximal).
//   forward, MAX = 0: y = (sum of the window's in-image values) / divisor; divisor = the in-image count, or KH * KW
//                 when count_include_pad is 1.
//   max_backward: dx[n, h, w, c] = the sum of dy over the windows whose first maximal position is (h, w): each
//                 window covering (h, w) recomputes its argmax from x with the very scan of the forward pass, so
//                 no indices are stored and the result is deterministic (a gather: no atomics).
//   max_backward_cells, for windows that do not overlap (stride >= window on both axes): one invocation per
//                 window writes its whole cell of dx (include/pool2d_window.wgsl): dy at the argmax, zero elsewhere.
//                 One argmax scan per window instead of one per covering window, and no division in the covering
//                 arithmetic.
//   avg_backward: dx[n, h, w, c] = the sum over the windows covering (h, w) of dy / divisor.
//   GATE (max backward only): the pooled x is the output of activation GATE_ACT, and dx is the gradient with
//                 respect to that activation's input: each dx above times act'(x) taken from the output
//                 (include/activations.wgsl), the product the separate activation backward would make.
// Global average pooling is the average forward / avg_backward with the whole image as the window.
// Bindings: params (uniform: N, H, W, C, KH, KW, stride_h, stride_w, pad_top, pad_left, OH, OW, count_include_pad,
//   cpt, slope); forward: x (read), pooled (read_write: y); max_backward(_cells): x, dy (read), dx (read_write);
//   avg_backward: dy (read), dx (read_write).
// Overrides: WG (workgroup size, default 64); MAX (forward: 1 max, 0 average; default 0); GATE, GATE_ACT.
// Dispatch: an invocation per pixel (forward and max_backward_cells: N*OH*OW output pixels, max_backward and
//   avg_backward: N*H*W input pixels) and chunk of cpt channels: [x, ceil(C / cpt), z] workgroups with
//   [x, z] = gridFor(ceil(pixels / WG)).
// Reference: src/reference/pool2d.ts: maxPool2d, avgPool2d (forward), maxPool2dBackward (its gate option),
//   avgPool2dBackward.
//#include activations
//#include pool2d_window

override WG: u32 = 64u;
override MAX: u32 = 0u;
override GATE: bool = false;
override GATE_ACT: u32 = 0u;
override TILE2: bool = false;

@group(0) @binding(2) var<storage, read> dy: array<f32>;
// Not named y: include/activations.wgsl has parameters named y, which binding reflection would count as reads of it.
@group(0) @binding(3) var<storage, read_write> pooled: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

fn divisor(win: Window) -> f32 {
  if (params.count_include_pad != 0u) {
    return f32(params.KH * params.KW);
  }
  return f32((win.h1 - win.h0) * (win.w1 - win.w0));
}

// The gradient v of the pooled x at a position holding xv, carried through the activation that made x when GATE is on.
fn gated(xv: f32, v: f32) -> f32 {
  if (GATE) {
    return v * act_derivative_from_output(GATE_ACT, xv, params.slope);
  }
  return v;
}

// TILE2 forward of output pixel p (include/pool2d_window.wgsl): the generic loops' very operations, unrolled.
fn forward_tile2(p: u32, c0: u32, c1: u32) {
  let b = tile2_base(p);
  for (var c = c0; c < c1; c++) {
    let v = tile2_values(b + c);
    if (MAX != 0u) {
      let k = first_max4(v.x, v.y, v.z, v.w);
      pooled[p * params.C + c] = select(select(v.x, v.y, k == 1u), select(v.z, v.w, k == 3u), k >= 2u);
    } else {
      // 0.0 + v.x, as the generic sum starts: a window of -0.0 averages to +0.0 on both paths.
      pooled[p * params.C + c] = (((0.0 + v.x) + v.y) + v.z + v.w) / 4.0;
    }
  }
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = task_of(wid, nwg, lid, WG);
  if (t.p >= params.N * params.OH * params.OW) {
    return;
  }
  if (TILE2) {
    forward_tile2(t.p, t.c0, t.c1);
    return;
  }
  let o = pixel_of(t.p, params.OH, params.OW);
  let win = window_of(o.y, o.z);
  for (var c = t.c0; c < t.c1; c++) {
    let i = t.p * params.C + c;
    if (MAX != 0u) {
      pooled[i] = x[argmax(o.x, c, win)];
      continue;
    }
    var s = 0.0;
    for (var h = win.h0; h < win.h1; h++) {
      for (var w = win.w0; w < win.w1; w++) {
        s += x[x_at(o.x, h, w, c)];
      }
    }
    pooled[i] = s / divisor(win);
  }
}

fn dy_at(n: u32, oh: u32, ow: u32, c: u32) -> f32 {
  return dy[((n * params.OH + oh) * params.OW + ow) * params.C + c];
}

// Input pixel p: its (n, h, w), and the output rows and columns whose windows cover it.
struct Cover {
  q: vec3<u32>,
  rows: vec2<u32>,
  cols: vec2<u32>,
}

fn cover_of(p: u32) -> Cover {
  let q = pixel_of(p, params.H, params.W);
  return Cover(q, covering(q.y, params.KH, params.stride_h, params.pad_top, params.OH),
               covering(q.z, params.KW, params.stride_w, params.pad_left, params.OW));
}

@compute @workgroup_size(WG)
fn max_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = task_of(wid, nwg, lid, WG);
  if (t.p >= params.N * params.H * params.W) {
    return;
  }
  let cv = cover_of(t.p);
  for (var c = t.c0; c < t.c1; c++) {
    let i = t.p * params.C + c;
    var s = 0.0;
    for (var oh = cv.rows.x; oh < cv.rows.y; oh++) {
      for (var ow = cv.cols.x; ow < cv.cols.y; ow++) {
        if (argmax(cv.q.x, c, window_of(oh, ow)) == i) {
          s += dy_at(cv.q.x, oh, ow, c);
        }
      }
    }
    dx[i] = gated(x[i], s);
  }
}

@compute @workgroup_size(WG)
fn avg_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = task_of(wid, nwg, lid, WG);
  if (t.p >= params.N * params.H * params.W) {
    return;
  }
  let cv = cover_of(t.p);
  for (var c = t.c0; c < t.c1; c++) {
    var s = 0.0;
    for (var oh = cv.rows.x; oh < cv.rows.y; oh++) {
      for (var ow = cv.cols.x; ow < cv.cols.y; ow++) {
        s += dy_at(cv.q.x, oh, ow, c) / divisor(window_of(oh, ow));
      }
    }
    dx[t.p * params.C + c] = s;
  }
}

// TILE2 max_backward_cells of output pixel p: its window is its cell.
fn backward_tile2(p: u32, c0: u32, c1: u32) {
  let b = tile2_base(p);
  let row = params.W * params.C;
  for (var c = c0; c < c1; c++) {
    let j = b + c;
    let v = tile2_values(j);
    let k = first_max4(v.x, v.y, v.z, v.w);
    let g = dy[p * params.C + c];
    dx[j] = gated(v.x, select(0.0, g, k == 0u));
    dx[j + params.C] = gated(v.y, select(0.0, g, k == 1u));
    dx[j + row] = gated(v.z, select(0.0, g, k == 2u));
    dx[j + row + params.C] = gated(v.w, select(0.0, g, k == 3u));
  }
}

@compute @workgroup_size(WG)
fn max_backward_cells(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = task_of(wid, nwg, lid, WG);
  if (t.p >= params.N * params.OH * params.OW) {
    return;
  }
  if (TILE2) {
    backward_tile2(t.p, t.c0, t.c1);
    return;
  }
  let o = pixel_of(t.p, params.OH, params.OW);
  let win = window_of(o.y, o.z);
  let rows = cell(o.y, params.stride_h, params.pad_top, params.OH, params.H);
  let cols = cell(o.z, params.stride_w, params.pad_left, params.OW, params.W);
  for (var c = t.c0; c < t.c1; c++) {
    let best = argmax(o.x, c, win);
    let g = dy[t.p * params.C + c];
    for (var h = rows.x; h < rows.y; h++) {
      for (var w = cols.x; w < cols.y; w++) {
        let j = x_at(o.x, h, w, c);
        dx[j] = gated(x[j], select(0.0, g, j == best));
      }
    }
  }
}
