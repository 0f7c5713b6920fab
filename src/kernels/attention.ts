// Fused multi-head attention (shaders/attention*.wgsl): forward with an online softmax saving lse, backward as dq
// (+ Delta) then dk/dv, all recomputing scores per block of keys. q, k and v are read through (element offset,
// row stride) uniforms, so they can be column blocks of one fused QKV buffer; dq, dk and dv can be written the same
// way into one dQKV buffer. Bindings stay at the tensors' own (aligned) byte offsets; the column offsets travel
// as uniforms, since a binding offset must be a multiple of 256 bytes.
import { OptionError, ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { attentionDims, checkView, type AttentionShape } from '../reference/attention.js';
import { runOneShot } from './common.js';
import { ceilDiv } from './grid.js';

export type { AttentionShape } from '../reference/attention.js';

/** A [B*T, >= C] matrix inside a tensor: element (row, col) at t[offset + row * stride + col]. */
export interface StridedTensor {
  t: Tensor;
  /** Elements from the tensor's start; default 0. */
  offset?: number;
  /** Elements from one row to the next; default C. */
  stride?: number;
}

/** q, k and v as one fused [B*T, 3C] tensor (q, k, v column blocks in that order), or as three strided views. */
export type AttentionInputs = { qkv: Tensor; q?: never; k?: never; v?: never } | { qkv?: never; q: StridedTensor; k: StridedTensor; v: StridedTensor };

/** Inputs and outputs of the fused attention forward (q, k, v fused as QKV or strided views). */
export type AttentionForwardTensors = AttentionInputs & {
  shape: AttentionShape;
  /** [B*T, C] (any shape of B*T*C elements), overwritten. */
  out: Tensor;
  /** [B, H, T] (any shape of B*H*T elements), overwritten with each row's log-sum-exp. */
  lse: Tensor;
};

/** dq, dk and dv as one fused [B*T, 3C] tensor, or three strided views (dk and dv may share one tensor). */
export type AttentionGradients =
  { dqkv: Tensor; dq?: never; dk?: never; dv?: never } | { dqkv?: never; dq: StridedTensor; dk: StridedTensor; dv: StridedTensor };

/** Inputs and gradients of the fused attention backward (q, k, v and dq, dk, dv fused or strided). */
export type AttentionBackwardTensors = AttentionInputs &
  AttentionGradients & {
    shape: AttentionShape;
    /** The forward's out [B*T, C] and lse [B, H, T]. */
    out: Tensor;
    lse: Tensor;
    /** [B*T, C], the gradient of out. */
    dOut: Tensor;
    /** [B, H, T] scratch: Delta_i = dOut_i . out_i, written by the first dispatch, read by the second. */
    delta: Tensor;
  };

/** Tile settings of the attention kernels. */
export interface AttentionOptions {
  /** Invocations per workgroup (default 8, lavapipe's SIMD width). */
  wg?: number;
  /** Query (or key) rows per invocation, 1..4 (default 4): each k, v (or q, dO) load then serves 4 rows. */
  rows?: number;
}

/** Largest head size accepted. */
export const MAX_HEAD_DIM = 64;
/** Keys (queries in attention_dkv) per block of recomputed scores; at most MAX_KB in include/attention_common.wgsl. */
const KB = 8;

interface View {
  t: Tensor;
  offset: number;
  stride: number;
}

interface Plan {
  C: number;
  scale: number;
  /** The same for every head size: nothing in the kernels is sized by D, so one pipeline per kernel serves all. */
  constants: { WG: number; ROWS: number; KB: number };
  grid: [number, number];
}

function plan(s: AttentionShape, options: AttentionOptions): Plan {
  const { C, scale } = attentionDims(s);
  if (s.D > MAX_HEAD_DIM) throw new ShapeError(`attention: head size D = ${s.D} exceeds ${MAX_HEAD_DIM}`);
  const WG = options.wg ?? 8;
  const ROWS = options.rows ?? 4;
  if (![1, 2, 4, 8, 16, 32, 64].includes(WG)) throw new OptionError(`attention: wg must be a power of two in 1..64, got ${WG}`);
  if (!Number.isInteger(ROWS) || ROWS < 1 || ROWS > 4) throw new OptionError(`attention: rows must be an integer in 1..4, got ${ROWS}`);
  return { C, scale, constants: { WG, ROWS, KB }, grid: [ceilDiv(s.T, WG * ROWS), s.B * s.H] };
}

/** A strided view checked to hold B*T rows of C columns. */
function view(name: string, v: StridedTensor, rows: number, C: number): View {
  const offset = v.offset ?? 0;
  const stride = v.stride ?? C;
  checkView(name, v.t.size, offset, stride, rows, C);
  return { t: v.t, offset, stride };
}

/** The three views of a fused [B*T, 3C] tensor, or the views given. */
function views(name: [string, string, string], fused: Tensor | undefined, parts: (StridedTensor | undefined)[], rows: number, C: number): View[] {
  if (fused) {
    if (fused.size !== rows * 3 * C) throw new ShapeError(`attention: '${name.join('')}' must have B*T*3C = ${rows} * ${3 * C} elements, got ${fused.size}`);
    return [0, 1, 2].map((i) => ({ t: fused, offset: i * C, stride: 3 * C }));
  }
  return parts.map((p, i) => {
    if (!p) throw new ShapeError(`attention: give either '${name.join('')}' or all of ${name.map((n) => `'${n}'`).join(', ')}; '${name[i]}' is missing`);
    return view(name[i]!, p, rows, C);
  });
}

/** Throws a ShapeError unless tensor `name` holds exactly `n` elements (`what` says which product of sizes). */
export function expectSize(name: string, t: Tensor, n: number, what: string): void {
  if (t.size !== n) throw new ShapeError(`attention: '${name}' must have ${what} = ${n} elements, got ${t.size} (shape [${t.shape.join(', ')}])`);
}

/** The uniform all three kernels read. */
function params(s: AttentionShape, p: Plan, [q, k, v]: View[], grads: View[] = [], fused = false) {
  const [dq, dk, dv] = grads;
  const at = (x: View | undefined) => [x?.offset ?? 0, x?.stride ?? 0];
  const [q_off, q_stride] = at(q);
  const [k_off, k_stride] = at(k);
  const [v_off, v_stride] = at(v);
  const [dq_off, dq_stride] = at(dq);
  const [dk_off, dk_stride] = at(dk);
  const [dv_off, dv_stride] = at(dv);
  return {
    params: {
      B: s.B,
      T: s.T,
      H: s.H,
      D: s.D,
      causal: s.causal ? 1 : 0,
      scale: p.scale,
      q_off,
      q_stride,
      k_off,
      k_stride,
      v_off,
      v_stride,
      dq_off,
      dq_stride,
      dk_off,
      dk_stride,
      dv_off,
      dv_stride,
      fused_kv: fused ? 1 : 0,
    },
  };
}

const bytes = (v: View, rows: number, C: number) => (v.offset + (rows - 1) * v.stride + C) * 4;

/** Every check of the forward, before anything is made; out and lse are checked when given. */
function checkForward(t: AttentionInputs & { shape: AttentionShape; out?: Tensor; lse?: Tensor }, options: AttentionOptions) {
  const s = t.shape;
  const p = plan(s, options);
  const rows = s.B * s.T;
  const qkv = views(['q', 'k', 'v'], t.qkv, [t.q, t.k, t.v], rows, p.C);
  if (t.out) expectSize('out', t.out, rows * p.C, 'B*T*C');
  if (t.lse) expectSize('lse', t.lse, s.B * s.H * s.T, 'B*H*T');
  return { s, p, rows, qkv };
}

/** Prepare the fused attention forward: out and lse in one dispatch. */
export async function prepareAttentionForward(rt: Runtime, t: AttentionForwardTensors, options: AttentionOptions = {}): Promise<Dispatch> {
  const { s, p, rows, qkv } = checkForward(t, options);
  const [q, k, v] = qkv as [View, View, View];
  const kernel = await rt.kernel('attention', { constants: p.constants });
  return rt.prepare(kernel, {
    buffers: { q: q.t.ref, k: k.t.ref, v: v.t.ref, out: t.out.ref, lse: t.lse.ref },
    needs: { q: bytes(q, rows, p.C), k: bytes(k, rows, p.C), v: bytes(v, rows, p.C), out: rows * p.C * 4, lse: s.B * s.H * s.T * 4 },
    uniforms: params(s, p, qkv),
    workgroups: p.grid,
    label: `attention B=${s.B} T=${s.T} H=${s.H} D=${s.D}${s.causal ? ' causal' : ''}`,
  });
}

/** Every check of the backward; the gradients and delta are checked when given. */
function checkBackward(
  t: AttentionInputs & { shape: AttentionShape; out: Tensor; lse: Tensor; dOut: Tensor; delta?: Tensor } & Partial<AttentionGradients>,
  options: AttentionOptions,
) {
  const { s, p, rows, qkv } = checkForward(t, options);
  expectSize('dOut', t.dOut, rows * p.C, 'B*T*C');
  if (t.delta) expectSize('delta', t.delta, s.B * s.H * s.T, 'B*H*T');
  const given = t.dqkv !== undefined || t.dq !== undefined || t.dk !== undefined || t.dv !== undefined;
  const grads = given ? views(['dq', 'dk', 'dv'], t.dqkv, [t.dq, t.dk, t.dv], rows, p.C) : [];
  const [, dk, dv] = grads;
  if (dk && dv && dk.t.buffer === dv.t.buffer && dk.t.offset !== dv.t.offset) {
    throw new ShapeError(`attention: 'dk' and 'dv' share a buffer, so they must be views of one tensor (dk at byte ${dk.t.offset}, dv at ${dv.t.offset})`);
  }
  const inputs = [...qkv.map((x) => x.t), t.out, t.lse, t.dOut];
  for (const [i, g] of grads.entries()) {
    if (inputs.some((x) => x.buffer === g.t.buffer))
      throw new ShapeError(`attention: '${['dq', 'dk', 'dv'][i]}' must not share a buffer with q, k, v, out, lse or dOut`);
  }
  return { s, p, rows, qkv, grads };
}

/** Prepare the attention backward: dq and Delta, then dk and dv (two dispatches, in that order). */
export async function prepareAttentionBackward(rt: Runtime, t: AttentionBackwardTensors, options: AttentionOptions = {}): Promise<Dispatch[]> {
  const { s, p, rows, qkv, grads } = checkBackward(t, options);
  const [q, k, v] = qkv as [View, View, View];
  const [dq, dk, dv] = grads as [View, View, View];
  const fused = dk.t.buffer === dv.t.buffer;
  const shared = { q: q.t.ref, k: k.t.ref, v: v.t.ref, dout: t.dOut.ref, lse: t.lse.ref };
  const rowBytes = rows * p.C * 4;
  const needs = { q: bytes(q, rows, p.C), k: bytes(k, rows, p.C), v: bytes(v, rows, p.C), dout: rowBytes, lse: s.B * s.H * s.T * 4 };
  const uniforms = params(s, p, qkv, grads, fused);
  const label = `B=${s.B} T=${s.T} H=${s.H} D=${s.D}${s.causal ? ' causal' : ''}`;
  const kq = await rt.kernel('attention_dq', { constants: p.constants });
  const kkv = await rt.kernel('attention_dkv', { constants: p.constants });
  const first = rt.prepare(kq, {
    buffers: { ...shared, out: t.out.ref, delta: t.delta.ref, dq: dq.t.ref },
    needs: { ...needs, out: rowBytes, delta: s.B * s.H * s.T * 4, dq: bytes(dq, rows, p.C) },
    uniforms,
    workgroups: p.grid,
    label: `attention dq ${label}`,
  });
  try {
    const second = rt.prepare(kkv, {
      buffers: { ...shared, delta: t.delta.ref, dk: dk.t.ref, dv: fused ? rt.placeholder : dv.t.ref },
      needs: {
        ...needs,
        delta: s.B * s.H * s.T * 4,
        dk: Math.max(bytes(dk, rows, p.C), fused ? bytes(dv, rows, p.C) : 0),
        dv: fused ? 0 : bytes(dv, rows, p.C),
      },
      uniforms,
      workgroups: p.grid,
      label: `attention dk dv ${label}`,
    });
    return [first, second];
  } catch (e) {
    rt.release(first);
    throw e;
  }
}

/** Fused attention forward on the GPU; allocates out [B*T, C] and lse [B, H, T]. */
export async function attentionForward(
  rt: Runtime,
  t: AttentionInputs & { shape: AttentionShape },
  options: AttentionOptions = {},
): Promise<{ out: Tensor; lse: Tensor }> {
  const { s, p, rows } = checkForward(t, options);
  const outputs = { out: { shape: [rows, p.C], label: 'attention out' }, lse: { shape: [s.B, s.H, s.T], label: 'attention lse' } };
  return runOneShot(rt, outputs, (o) => [() => prepareAttentionForward(rt, { ...t, ...o } as AttentionForwardTensors, options)]);
}

/** Attention gradients on the GPU from the forward's out and lse; allocates dq, dk, dv, each dense [B*T, C]. */
export async function attentionBackward(
  rt: Runtime,
  t: AttentionInputs & { shape: AttentionShape; out: Tensor; lse: Tensor; dOut: Tensor },
  options: AttentionOptions = {},
): Promise<{ dq: Tensor; dk: Tensor; dv: Tensor }> {
  const { s, p, rows } = checkBackward(t, options);
  const dense = (label: string) => ({ shape: [rows, p.C], label });
  const outputs = { dq: dense('dq'), dk: dense('dk'), dv: dense('dv'), delta: { shape: [s.B, s.H, s.T], label: 'attention delta' } };
  const made = await runOneShot(rt, outputs, (o) => [
    () => prepareAttentionBackward(rt, { ...t, dq: { t: o.dq }, dk: { t: o.dk }, dv: { t: o.dv }, delta: o.delta } as AttentionBackwardTensors, options),
  ]);
  made.delta.destroy();
  return { dq: made.dq, dk: made.dk, dv: made.dv };
}
