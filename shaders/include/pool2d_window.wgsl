// Shared by the pooling shaders: the geometry as a uniform, each invocation's pixel and channels, the in-image part
// of a window, and max pooling's argmax scan (the window's FIRST maximal position in window order: rows top to
// bottom, each left to right, strict > while scanning, a NaN counting as maximal), so the forward and both backward
// forms agree on ties. Reference: src/reference/pool2d.ts.

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
  cpt: u32, // channels per invocation
  slope: f32, // the gate's Leaky ReLU slope
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;

// One invocation's work: pixel p (flat over N and the image's rows and columns) and its channels [c0, c1).
// Workgroups x (and z, past 65535 of them) walk the pixels, y the chunks of params.cpt channels: no division
// finds the channel, and the pixel's is unflattened once for all its channels (llvmpipe splits a vector
// division into one scalar division per lane).
struct Task {
  p: u32,
  c0: u32,
  c1: u32,
}

fn task_of(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, wg_size: u32) -> Task {
  let c0 = wid.y * params.cpt;
  return Task((wid.z * nwg.x + wid.x) * wg_size + lid.x, c0, min(c0 + params.cpt, params.C));
}

// (n, row, column) of pixel p of an image batch with `rows` x `cols` pixels.
fn pixel_of(p: u32, rows: u32, cols: u32) -> vec3<u32> {
  let q = p / cols;
  let n = q / rows;
  return vec3<u32>(n, q - n * rows, p - q * cols);
}

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

// From the exponent and mantissa bits: a comparison alone may be folded away under fast math.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Whether v, later in window order, replaces best as the window's maximum.
fn beats(v: f32, best: f32) -> bool {
  return v > best || (is_nan(v) && !is_nan(best));
}

// Flat x index of the window's first maximal element (the window always holds one in-image position). The
// indices step by a column (C) and a row (W * C) rather than being recomputed.
fn argmax(n: u32, c: u32, win: Window) -> u32 {
  var best = x_at(n, win.h0, win.w0, c);
  var best_v = x[best];
  var row = best;
  for (var h = win.h0; h < win.h1; h++) {
    var i = row;
    for (var w = win.w0; w < win.w1; w++) {
      let v = x[i];
      if (beats(v, best_v)) {
        best = i;
        best_v = v;
      }
      i += params.C;
    }
    row += params.W * params.C;
  }
  return best;
}

// TILE2: 2x2 windows with stride 2 and no padding tile the image exactly (H = 2 OH, W = 2 OW): output pixel p's
// window starts at this x index (channel 0), found with one division, and its four positions are unrolled.
fn tile2_base(p: u32) -> u32 {
  let q = p / params.OW; // n * OH + oh, and the window's first row is 2 q
  return 2u * (q * params.W + p - q * params.OW) * params.C;
}

// The 2x2 window starting at x index j, in window order: (top left, top right, bottom left, bottom right).
fn tile2_values(j: u32) -> vec4<f32> {
  let row = params.W * params.C;
  return vec4<f32>(x[j], x[j + params.C], x[j + row], x[j + row + params.C]);
}

// Which of a 2x2 window's values (window order) is its first maximum, by the scan of argmax().
fn first_max4(v0: f32, v1: f32, v2: f32, v3: f32) -> u32 {
  var best = v0;
  var k = 0u;
  if (beats(v1, best)) {
    best = v1;
    k = 1u;
  }
  if (beats(v2, best)) {
    best = v2;
    k = 2u;
  }
  if (beats(v3, best)) {
    k = 3u;
  }
  return k;
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

// The output rows (or columns) whose windows cover input row h: [lo, hi), clipped to [0, out).
fn covering(h: u32, k: u32, stride: u32, pad: u32, out: u32) -> vec2<u32> {
  let p = h + pad;
  var lo = 0u;
  if (p + 1u > k) {
    lo = (p + 1u - k + stride - 1u) / stride;
  }
  return vec2<u32>(lo, min(p / stride + 1u, out));
}
