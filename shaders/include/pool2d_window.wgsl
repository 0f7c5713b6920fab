// Shared by the pooling shaders: the geometry as a uniform, the in-image part of a window, and max pooling's
// argmax scan (the window's FIRST maximal position in window order: rows top to bottom, each left to right,
// strict > while scanning), so the forward and both backward forms agree on ties. Reference: src/reference/pool2d.ts.

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

// (n, row, column, c) of flat index i of an NHWC tensor with `rows` x `cols` pixels.
fn unflat(i: u32, rows: u32, cols: u32) -> vec4<u32> {
  let c = i % params.C;
  let p = i / params.C;
  return vec4<u32>(p / (rows * cols), (p / cols) % rows, p % cols, c);
}

// The input rows (or columns) [start, end) whose dx output row o writes when windows do not overlap: from its
// window's start to the next one's, the first from 0 and the last to the image's end. The cells tile the image,
// so rows that no window covers still get their zero, and each window's in-image part lies in its own cell.
fn cell(o: u32, stride: u32, pad: u32, out: u32, size: u32) -> vec2<u32> {
  // o * stride >= pad unless o == 0 (pad < window <= stride), so the subtraction is only used where it is exact.
  let start = select(o * stride - pad, 0u, o == 0u);
  let end = select(min((o + 1u) * stride - pad, size), size, o + 1u == out);
  return vec2<u32>(start, end);
}
