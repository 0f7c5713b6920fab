// conv2d forward and backward on NHWC activations with PyTorch-layout weights [OC, C, KH, KW]: implicit GEMMs
// with the im2col gather done in the shader (shaders/conv2d*.wgsl); the bias gradient is sum_rows over dy.
import { OptionError, ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { convGeometry, type Conv2dGeometry, type ConvGeometryOptions } from '../reference/conv-geometry.js';
import { activationCode, type Activation } from './activation.js';
import { bind, dims, expectShape, expectShapeIfGiven, finiteOption, runOneShot, type Unmade } from './common.js';
import { ceilDiv } from './grid.js';
import { matmulSubgroupSize } from './matmul.js';
import { prepareConvWindow, windowApplies } from './conv2d-window.js';
import { GEMM_SHADERS, gemmKernel } from './conv2d-gemm.js';
import { prepareSumRows } from './reduce.js';

/** Output pixels (forward), input pixels (dx) or taps (dw) per invocation; each invocation also covers 4 channels. */
const ROWS = { forward: 8, input: 8, weight: 4 } as const;
/** Invocations per workgroup. */
const WG = 64;
/** Output pixels per split of the weight gradient: fewer pixels make more splits (parallelism) and more partial sums. */
export const DEFAULT_WEIGHT_CHUNK = 1024;

/** The conv2d kernel variants; every one passes the same cases (src/selftest/conv-cases.ts). */
export const CONV_VARIANTS = ['gather', 'subgroup', 'window', 'gemm'] as const;
export type ConvVariant = (typeof CONV_VARIANTS)[number];

export interface Conv2dOptions extends ConvGeometryOptions {
  /** Which kernels: 'auto' (default) picks for the adapter. */
  variant?: ConvVariant | 'auto';
  /** Activation applied after the bias, fused into the forward's store. Default identity. */
  activation?: Activation;
  /** Leaky ReLU's negative slope. */
  slope?: number;
}

export interface Conv2dBackwardOptions extends ConvGeometryOptions {
  /** Which kernels: 'auto' (default) picks for the adapter. */
  variant?: ConvVariant | 'auto';
  /** Output pixels each partial sum of dw covers (default 1024); more than one split needs a `dwPartial` scratch. */
  weightChunk?: number;
}

/** Inputs and output of a convolution's forward pass (NHWC activations, [OC, C, KH, KW] weights). */
export interface Conv2dTensors {
  /** [N, H, W, C] */
  x: Tensor;
  /** [OC, C, KH, KW] */
  w: Tensor;
  /** [OC], optional */
  bias?: Tensor;
  /** [N, OH, OW, OC], overwritten */
  y: Tensor;
}

/** Inputs and outputs of a convolution's backward pass (NHWC activations, [OC, C, KH, KW] weights). */
export interface Conv2dBackwardTensors {
  /** [N, H, W, C], the forward's input */
  x: Tensor;
  /** [OC, C, KH, KW] */
  w: Tensor;
  /** [N, OH, OW, OC], the gradient of the pre-activation output */
  dy: Tensor;
  /** The gradients wanted, each overwritten: dx [N, H, W, C], dw [OC, C, KH, KW], db [OC]. */
  dx?: Tensor;
  dw?: Tensor;
  db?: Tensor;
  /** [splits, OC*C*KH*KW] scratch for dw's partial sums, needed when conv2dWeightSplits is above 1. */
  dwPartial?: Tensor;
}

/** The geometry and output channels of x [N, H, W, C] convolved with w [OC, C, KH, KW], or a typed error. */
export function conv2dShape(x: Tensor, w: Tensor, options: ConvGeometryOptions = {}): { g: Conv2dGeometry; OC: number } {
  if (x.shape.length !== 4) throw new ShapeError(`conv2d: 'x' must be NHWC [N, H, W, C], got ${dims(x.shape)}`);
  if (w.shape.length !== 4) throw new ShapeError(`conv2d: 'w' must be [OC, C, KH, KW], got ${dims(w.shape)}`);
  const [OC, C, KH, KW] = w.shape as [number, number, number, number];
  if (C !== x.shape[3] || OC < 1) {
    throw new ShapeError(`conv2d: 'w' ${dims(w.shape)} must be [OC >= 1, C = ${x.shape[3]} (x's channels), KH, KW] for x ${dims(x.shape)}`);
  }
  return { g: convGeometry(x.shape as [number, number, number, number], [KH, KW], options), OC };
}

/** Partial sums the weight gradient is split into: one per `chunk` output pixels. */
export function conv2dWeightSplits(g: Conv2dGeometry, chunk = DEFAULT_WEIGHT_CHUNK): number {
  return ceilDiv(g.N * g.OH * g.OW, chunk);
}

function weightChunk(options: Conv2dBackwardOptions): number {
  const chunk = finiteOption('conv2d backward', 'weightChunk', options.weightChunk ?? DEFAULT_WEIGHT_CHUNK, 1);
  if (!Number.isInteger(chunk)) throw new OptionError(`conv2d backward: weightChunk must be a positive integer, got ${chunk}`);
  return chunk;
}

/** The uniform every conv2d shader reads. */
function params(g: Conv2dGeometry, OC: number, slope = 0, pChunk = 0) {
  const { N, H, W, C, KH, KW, OH, OW } = g;
  const geometry = { stride_h: g.strideH, stride_w: g.strideW, dil_h: g.dilationH, dil_w: g.dilationW, pad_top: g.padTop, pad_left: g.padLeft };
  return { params: { N, H, W, C, OC, KH, KW, OH, OW, ...geometry, p_chunk: pChunk, slope } };
}

/**
 * A workgroup of WG invocations shaped to the problem: up to 4 column blocks wide, the rest along rows, at most as
 * many rows as the problem has (in steps of 4x, so few pipelines are compiled).
 */
function workgroupFor(rows: number, rowsPerInvocation: number, columns: number): [number, number] {
  const x = Math.min(4, 2 ** Math.floor(Math.log2(ceilDiv(columns, 4))));
  const y = Math.min(WG / x, 4 ** Math.ceil(Math.log2(ceilDiv(rows, rowsPerInvocation)) / 2));
  return [x, y];
}

/** The three passes' shaders per variant (a variant may share a pass's shader with another). */
export type ConvPass = 'forward' | 'input' | 'weight';
export const CONV_SHADERS: Record<ConvVariant, Record<ConvPass, string>> = {
  gather: { forward: 'conv2d', input: 'conv2d_grad_input', weight: 'conv2d_grad_weight' },
  subgroup: { forward: 'conv2d_subgroup', input: 'conv2d_grad_input_subgroup', weight: 'conv2d_grad_weight_subgroup' },
  // The weight gradient, and passes the window kernel does not fit (windowApplies), run the best other variant.
  window: { forward: 'conv2d_window', input: 'conv2d_window', weight: 'conv2d_grad_weight' },
  gemm: GEMM_SHADERS,
};

/**
 * The variant a convolution runs: 'auto' is 'window' on a software adapter (lavapipe, SwiftShader: measured fastest
 * there, and it needs no optional feature) and 'gemm' on any other, by design: the workgroup-memory tiling GPU
 * libraries use, not measured on a GPU here. 'subgroup' without subgroups of one fixed size runs 'gather'.
 */
export function resolveConvVariant(rt: Runtime, variant: ConvVariant | 'auto' = 'auto'): ConvVariant {
  if (variant !== 'auto' && !CONV_VARIANTS.includes(variant)) {
    throw new OptionError(`conv2d: unknown variant '${String(variant)}'; expected auto or one of: ${CONV_VARIANTS.join(', ')}`);
  }
  if (variant === 'auto') return rt.isSoftware ? 'window' : 'gemm';
  return variant === 'subgroup' && matmulSubgroupSize(rt) === null ? 'gather' : variant;
}

/**
 * The variant that runs `pass`: the window kernel where it applies, otherwise (and for the weight gradient)
 * 'subgroup' where subgroups have one fixed size of 8 or more lanes (lavapipe), else 'gather'.
 */
function passVariant(rt: Runtime, variant: ConvVariant, pass: ConvPass, g: Conv2dGeometry, OC: number): ConvVariant {
  if (variant !== 'window') return variant;
  const sg = matmulSubgroupSize(rt);
  if (pass !== 'weight' && windowApplies(pass, g, OC, sg)) return 'window';
  return (sg ?? 0) >= 8 ? 'subgroup' : 'gather';
}

/** The kernel and grid of one pass: `rows` of the implicit GEMM (pixels or taps) by `columns` channels. */
async function convKernel(rt: Runtime, pass: ConvPass, variant: ConvVariant, rows: number, columns: number, constants: Record<string, number | boolean> = {}) {
  if (variant === 'gemm') return gemmKernel(rt, pass, rows, columns, constants);
  const name = CONV_SHADERS[variant][pass];
  if (!name.endsWith('_subgroup')) {
    const rowsPer = ROWS[pass];
    const [wx, wy] = workgroupFor(rows, rowsPer, columns);
    const kernel = await rt.kernel(name, { constants: { ROWS: rowsPer, WG_X: wx, WG_Y: wy, ...constants } });
    return { kernel, grid: [ceilDiv(columns, 4 * wx), ceilDiv(rows, rowsPer * wy)] as [number, number] };
  }
  // 4 * CV columns per subgroup, as few as cover the problem's, and ROWS rows per lane: up to 128 accumulators.
  const sg = matmulSubgroupSize(rt)!;
  const cv = Math.min(4, ceilDiv(columns, 4));
  const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(n));
  const rowsPer = Math.min(16, 32 / pow2(cv), pow2(ceilDiv(rows, sg)));
  const wy = Math.min(4, pow2(ceilDiv(rows, sg * rowsPer)));
  const kernel = await rt.kernel(name, { constants: { SG: sg, ROWS: rowsPer, CV: cv, WG_Y: wy, ...constants } });
  return { kernel, grid: [ceilDiv(columns, 4 * cv), ceilDiv(rows, sg * rowsPer * wy)] as [number, number] };
}

/** Every check of a forward pass, before anything is made; y is checked when given. */
function checkForward(rt: Runtime, t: Unmade<Conv2dTensors, 'y'>, options: Conv2dOptions) {
  const { g, OC } = conv2dShape(t.x, t.w, options);
  expectShapeIfGiven('conv2d', 'bias', t.bias, [OC]);
  expectShapeIfGiven('conv2d', 'y', t.y, [g.N, g.OH, g.OW, OC]);
  return { g, OC, ...activationCode(options), variant: resolveConvVariant(rt, options.variant) };
}

/** Prepare y = act(conv2d(x, w) + bias) as one dispatch. */
export async function prepareConv2d(rt: Runtime, t: Conv2dTensors, options: Conv2dOptions = {}): Promise<Dispatch> {
  const { g, OC, code, slope, variant } = checkForward(rt, t, options);
  const label = `conv2d ${dims(t.x.shape)} * ${dims(t.w.shape)}`;
  const v = passVariant(rt, variant, 'forward', g, OC);
  if (v === 'window') return prepareConvWindow(rt, 'forward', g, OC, { input: t.x, w: t.w, bias: t.bias, out: t.y }, { code, slope }, label);
  const M = g.N * g.OH * g.OW;
  const { kernel, grid } = await convKernel(rt, 'forward', v, M, OC, { ACT: code, HAS_BIAS: !!t.bias });
  const { buffers, needs } = bind({ x: t.x, w: t.w, y: t.y });
  return rt.prepare(kernel, {
    buffers: { ...buffers, bias: t.bias?.ref ?? rt.placeholder },
    needs: { ...needs, bias: t.bias ? OC * 4 : 0 },
    uniforms: params(g, OC, slope),
    workgroups: grid,
    label,
  });
}

/** A stride compiled into the input gradient's pipeline (1 or 2, the common ones), or 0: read from the uniform. */
const fixedStride = (s: number) => (s <= 2 ? s : 0);

/** Every check of a backward pass; the gradients and scratch are checked when given. */
function checkBackward(rt: Runtime, t: Unmade<Conv2dBackwardTensors, 'dx' | 'dw' | 'db'>, options: Conv2dBackwardOptions) {
  const { g, OC } = conv2dShape(t.x, t.w, options);
  expectShape('conv2d backward', 'dy', t.dy, [g.N, g.OH, g.OW, OC]);
  expectShapeIfGiven('conv2d backward', 'dx', t.dx, t.x.shape);
  expectShapeIfGiven('conv2d backward', 'dw', t.dw, t.w.shape);
  expectShapeIfGiven('conv2d backward', 'db', t.db, [OC]);
  const chunk = weightChunk(options);
  const splits = conv2dWeightSplits(g, chunk);
  const taps = g.C * g.KH * g.KW;
  if (t.dw && splits > 1) {
    if (!t.dwPartial) throw new ShapeError(`conv2d backward: dw in ${splits} splits needs a 'dwPartial' scratch of shape [${splits}, ${OC * taps}]`);
    expectShape('conv2d backward', 'dwPartial', t.dwPartial, [splits, OC * taps]);
  }
  return { g, OC, chunk, splits, taps, variant: resolveConvVariant(rt, options.variant) };
}

/** The dwPartial scratch shape a backward pass with these operands needs, or null when dw is summed in one pass. */
export function conv2dBackwardScratch(x: Tensor, w: Tensor, options: Conv2dBackwardOptions = {}): [number, number] | null {
  const { g, OC } = conv2dShape(x, w, options);
  const splits = conv2dWeightSplits(g, weightChunk(options));
  return splits > 1 ? [splits, OC * g.C * g.KH * g.KW] : null;
}

/** Prepare the gradients given among dx, dw and db (dw may take two dispatches: partial sums, then sum_rows). */
export async function prepareConv2dBackward(rt: Runtime, t: Conv2dBackwardTensors, options: Conv2dBackwardOptions = {}): Promise<Dispatch[]> {
  const { g, OC, chunk, splits, taps, variant } = checkBackward(rt, t, options);
  const label = `${dims(t.x.shape)} * ${dims(t.w.shape)}`;
  const out: Dispatch[] = [];
  try {
    const dxVariant = passVariant(rt, variant, 'input', g, OC);
    if (t.dx && dxVariant === 'window') {
      out.push(await prepareConvWindow(rt, 'input', g, OC, { input: t.dy, w: t.w, out: t.dx }, { code: 0, slope: 0 }, `conv2d dx ${label}`));
    } else if (t.dx) {
      const { kernel, grid } = await convKernel(rt, 'input', dxVariant, g.N * g.H * g.W, g.C, { SH: fixedStride(g.strideH), SW: fixedStride(g.strideW) });
      const spec = { ...bind({ dy: t.dy, w: t.w, dx: t.dx }), uniforms: params(g, OC), workgroups: grid, label: `conv2d dx ${label}` };
      out.push(rt.prepare(kernel, spec));
    }
    if (t.dw) {
      const part = splits > 1 ? t.dwPartial! : Tensor.view(rt, t.dw.buffer, [1, OC * taps], t.dw.offset, 'dw');
      const { kernel, grid } = await convKernel(rt, 'weight', passVariant(rt, variant, 'weight', g, OC), taps, OC);
      const spec = { ...bind({ x: t.x, dy: t.dy, dw_part: part }), uniforms: params(g, OC, 0, chunk), label: `conv2d dw ${label}` };
      out.push(rt.prepare(kernel, { ...spec, workgroups: [...grid, splits] }));
      if (splits > 1) out.push(await prepareSumRows(rt, { x: part, out: Tensor.view(rt, t.dw.buffer, [OC * taps], t.dw.offset, 'dw') }));
    }
    if (t.db) out.push(await prepareSumRows(rt, { x: Tensor.view(rt, t.dy.buffer, [g.N * g.OH * g.OW, OC], t.dy.offset, 'dy'), out: t.db }));
  } catch (e) {
    for (const d of out) rt.release(d);
    throw e;
  }
  return out;
}

/** y = act(conv2d(x, w) + bias) on the GPU; allocates y [N, OH, OW, OC] unless `out` is given. */
export async function conv2d(rt: Runtime, x: Tensor, w: Tensor, options: Conv2dOptions & { bias?: Tensor; out?: Tensor } = {}): Promise<Tensor> {
  const inputs = { x, w, ...(options.bias ? { bias: options.bias } : {}) };
  const { g, OC } = checkForward(rt, { ...inputs, y: options.out }, options);
  const spec = options.out ?? { shape: [g.N, g.OH, g.OW, OC], label: `conv2d(${x.label})` };
  return (await runOneShot(rt, { y: spec }, ({ y }) => [() => prepareConv2d(rt, { ...inputs, y }, options)])).y;
}

/** conv2d's gradients dx, dw and db on the GPU from dy (the gradient of the pre-activation output); allocates them. */
export async function conv2dBackward(
  rt: Runtime,
  t: { x: Tensor; w: Tensor; dy: Tensor },
  options: Conv2dBackwardOptions = {},
): Promise<{ dx: Tensor; dw: Tensor; db: Tensor }> {
  const { OC, splits, taps } = checkBackward(rt, t, options);
  const outputs = {
    dx: { shape: t.x.shape, label: 'dx' },
    dw: { shape: t.w.shape, label: 'dw' },
    db: { shape: [OC], label: 'db' },
    dwPartial: { shape: [splits, OC * taps], label: 'dw partial sums' },
  };
  const made = await runOneShot(rt, outputs, (out) => [() => prepareConv2dBackward(rt, { ...t, ...out }, options)]);
  made.dwPartial.destroy();
  return { dx: made.dx, dw: made.dw, db: made.db };
}
