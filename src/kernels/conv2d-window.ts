// conv2d's "window" kernel (shaders/conv2d_window.wgsl): strips of horizontally adjacent output pixels that load
// each input row segment once for every tap reading it. It runs the forward pass and, for stride-1 convolutions,
// the input gradient as a convolution of dy with w flipped and transposed (read through index strides, no copy).
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import type { Conv2dGeometry } from '../reference/conv-geometry.js';
import { bind } from './common.js';
import { ceilDiv } from './grid.js';
import { matmulSubgroupSize } from './matmul.js';

/** Subgroups per workgroup. */
const WG_Y = 8;
/** The widest kernel compiled in: the segment, (R - 1) * SW + KW values, must fit the shader's 24 registers, and
 * each lane's share of a row's KW * 16 weights its 16. */
const MAX_KW = 7;
/** The pass a window kernel serves. */
export type WindowPass = 'forward' | 'input';

/** What the kernel convolves: its input [N, H, W, C] into [N, OH, OW, OC], and where it reads each weight. */
interface WindowProblem {
  N: number;
  H: number;
  W: number;
  C: number;
  OC: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  padTop: number;
  padLeft: number;
  /** W(o, i, ky, kx) = w[base + o * so + i * si + ky * sy + kx * sx]. */
  w: { base: number; so: number; si: number; sy: number; sx: number };
}

/** The most output channels (of the pass: OC forward, C for the input gradient) the window kernel takes. */
export const WINDOW_MAX_CHANNELS = 8;

/**
 * Whether the window kernel runs `pass` of this convolution: subgroups of one fixed size of 8 or more lanes, width
 * taps contiguous and few enough, stride 1 or 2 (the input gradient: 1), and at most 8 output channels: with 16 a
 * row's 80 shuffled weights cost more than the segment saves (LeNet's second forward ran 0.73x the subgroup kernel).
 */
export function windowApplies(pass: WindowPass, g: Conv2dGeometry, OC: number, subgroupSize: number | null): boolean {
  const out = pass === 'forward' ? OC : g.C;
  const narrow = (subgroupSize ?? 0) >= 8 && out <= WINDOW_MAX_CHANNELS && g.dilationW === 1 && g.KW <= MAX_KW;
  return pass === 'forward' ? narrow && g.strideW <= 2 : narrow && g.strideH === 1 && g.strideW === 1;
}

/** The forward pass as the kernel sees it: x convolved with w [OC, C, KH, KW] as it lies. */
function forwardProblem(g: Conv2dGeometry, OC: number): WindowProblem {
  const { N, H, W, C, KH, KW, OH, OW } = g;
  const w = { base: 0, so: C * KH * KW, si: KH * KW, sy: KW, sx: 1 };
  return { N, H, W, C, OC, KH, KW, OH, OW, strideH: g.strideH, strideW: g.strideW, dilH: g.dilationH, padTop: g.padTop, padLeft: g.padLeft, w };
}

/**
 * The input gradient of a stride-1 convolution as a forward one: dy [N, OH, OW, OC] convolved into dx [N, H, W, C]
 * with W(c, oc, ky, kx) = w[oc, c, KH-1-ky, KW-1-kx] and the padding that undoes the forward's.
 */
function inputProblem(g: Conv2dGeometry, OC: number): WindowProblem {
  const { N, H, W, C, KH, KW, OH, OW } = g;
  const w = { base: KH * KW - 1, so: KH * KW, si: C * KH * KW, sy: -KW, sx: -1 };
  const padTop = (KH - 1) * g.dilationH - g.padTop;
  const padLeft = KW - 1 - g.padLeft;
  return { N, H: OH, W: OW, C: OC, OC: C, KH, KW, OH: H, OW: W, strideH: 1, strideW: 1, dilH: g.dilationH, padTop, padLeft, w };
}

/** Pixels per strip: the whole row when it is short, else the length from 8 down to 4 that wastes fewest pixels. */
export function stripLength(OW: number): number {
  if (OW <= 8) return OW;
  let best = 8;
  for (const r of [7, 6, 5, 4]) if (ceilDiv(OW, r) * r < ceilDiv(OW, best) * best) best = r;
  return best;
}

/**
 * Prepare one window dispatch: `input` convolved into `out` for `pass` (the forward binds x and y, the input
 * gradient dy and dx), with a bias and activation fused into the forward's store.
 */
export async function prepareConvWindow(
  rt: Runtime,
  pass: WindowPass,
  g: Conv2dGeometry,
  OC: number,
  t: { input: Tensor; w: Tensor; bias?: Tensor; out: Tensor },
  epilogue: { code: number; slope: number },
  label: string,
): Promise<Dispatch> {
  const p = pass === 'forward' ? forwardProblem(g, OC) : inputProblem(g, OC);
  const R = stripLength(p.OW);
  const CV = Math.min(4, ceilDiv(p.OC, 4));
  const strips = ceilDiv(p.OW, R);
  const SG = matmulSubgroupSize(rt)!;
  const constants = { ACT: epilogue.code, HAS_BIAS: !!t.bias, KW: p.KW, SW: p.strideW, R, CV, SG, WG_Y };
  const kernel = await rt.kernel('conv2d_window', { constants });
  const { buffers, needs } = bind({ x: t.input, w: t.w, y: t.out });
  const params = {
    N: p.N,
    H: p.H,
    W: p.W,
    C: p.C,
    OC: p.OC,
    KH: p.KH,
    OH: p.OH,
    OW: p.OW,
    stride_h: p.strideH,
    dil_h: p.dilH,
    pad_top: p.padTop,
    pad_left: p.padLeft,
    strips,
    w_base: p.w.base,
    w_so: p.w.so,
    w_si: p.w.si,
    w_sy: p.w.sy,
    w_sx: p.w.sx,
    slope: epilogue.slope,
  };
  return rt.prepare(kernel, {
    buffers: { ...buffers, bias: t.bias?.ref ?? rt.placeholder },
    needs: { ...needs, bias: t.bias ? OC * 4 : 0 },
    uniforms: { params },
    workgroups: [ceilDiv(p.N * p.OH * strips, SG * WG_Y), ceilDiv(p.OC, 4 * CV)],
    label,
  });
}
