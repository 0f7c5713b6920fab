// Lowering the image nodes (conv2d, pooling, global average pooling) of a graph. Every activation and gradient
// is planned as [B, width]; these ops see the same memory as NHWC views [B, H, W, C] (so flatten costs nothing).
import { derivativeFromOutput, type Activation } from '../core/activations.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { conv2dWeightSplits, prepareConv2d, prepareConv2dBackward } from '../kernels/conv2d.js';
import {
  prepareAvgPool2d,
  prepareAvgPool2dBackward,
  prepareGlobalAvgPool,
  prepareGlobalAvgPoolBackward,
  prepareMaxPool2d,
  prepareMaxPool2dBackward,
} from '../kernels/pool2d.js';
import { nodeGeometry, type Graph, type GraphNode, type NodeOp } from '../nn/graph.js';
import type { Program } from './program.js';

type ImageOp = Extract<NodeOp, { op: 'conv2d' | 'pool2d' | 'globalAvgPool' }>;
type Make = (t: (key: string) => Tensor) => Promise<Dispatch | Dispatch[]>;

/** The same memory seen with another shape. */
export const reshape = (rt: Runtime, t: Tensor, shape: number[]): Tensor => Tensor.view(rt, t.buffer, shape, t.offset, t.label);

export const isImageNode = (n: GraphNode): n is GraphNode & { op: ImageOp } => n.op.op === 'conv2d' || n.op.op === 'pool2d' || n.op.op === 'globalAvgPool';

type ActivationNode = GraphNode & { op: Extract<NodeOp, { op: 'activation' }> };

/**
 * The activation whose backward a max pooling node's backward carries, or null: the pooling reads its output, nothing
 * else does, and its derivative is a function of that output (which the pooling already reads as x), so the pooling
 * writes the gradient of the activation's input and the activation's own backward dispatch is skipped.
 */
export function poolGate(g: Graph, n: GraphNode): ActivationNode | null {
  if (n.op.op !== 'pool2d' || n.op.mode !== 'max') return null;
  const src = g.nodes[n.inputs[0]!]!;
  if (src.op.op !== 'activation' || g.consumers(src.id).length !== 1 || !derivativeFromOutput(src.op.activation, src.op.slope)) return null;
  return src as ActivationNode;
}

/** Push the forward op of an image node writing `out`; a conv applies `epilogue` (a following activation) in its store. */
export function lowerImageForward(
  rt: Runtime,
  p: Program,
  n: GraphNode & { op: ImageOp },
  keys: { x: string; out: string; param: (name: string) => string },
  B: number,
  epilogue?: { name: string; activation: Activation; slope: number },
): void {
  const op = n.op;
  const { x, out } = keys;
  const inShape = [B, ...op.input];
  const outShape = [B, ...n.shape];
  const img = (t: (k: string) => Tensor) => ({ x: reshape(rt, t(x), inShape), y: reshape(rt, t(out), outShape) });
  if (op.op === 'conv2d') {
    const w = keys.param(op.weight);
    const b = op.bias ? keys.param(op.bias) : null;
    const ep = epilogue ? { activation: epilogue.activation, slope: epilogue.slope } : {};
    p.push({
      label: epilogue ? `${n.name}:conv2d+${epilogue.name}:${epilogue.activation}` : `${n.name}:conv2d`,
      reads: b ? [x, w, b] : [x, w],
      writes: [out],
      make: (t) => prepareConv2d(rt, { ...img(t), w: t(w), ...(b ? { bias: t(b) } : {}) }, { ...op, ...ep }),
    });
  } else if (op.op === 'pool2d') {
    const make: Make = (t) => (op.mode === 'max' ? prepareMaxPool2d(rt, img(t), op) : prepareAvgPool2d(rt, img(t), op));
    p.push({ label: `${n.name}:${op.mode}Pool2d`, reads: [x], writes: [out], make });
  } else {
    p.push({ label: `${n.name}:globalAvgPool`, reads: [x], writes: [out], make: (t) => prepareGlobalAvgPool(rt, { x: img(t).x, y: t(out) }) });
  }
}

/**
 * Push the backward ops of an image node: a conv's weight and bias gradients (dw through a split scratch planned
 * here, at compile time), then the input's gradient through `contribute` (never for the data itself). With `gate`
 * (poolGate: a max pooling reading an activation's output), the gradient contributed is that of the activation's input.
 */
export function lowerImageBackward(
  rt: Runtime,
  p: Program,
  n: GraphNode & { op: ImageOp },
  keys: { x: string; dy: string; param: (name: string) => string; pgrad: (name: string) => string },
  B: number,
  contribute: (label: string, reads: string[], make: (out: string) => Make) => void,
  gate: ActivationNode | null = null,
): void {
  const op = n.op;
  const { x, dy } = keys;
  const inShape = [B, ...op.input];
  const outShape = [B, ...n.shape];
  const xImg = (t: (k: string) => Tensor) => reshape(rt, t(x), inShape);
  const dyImg = (t: (k: string) => Tensor) => reshape(rt, t(dy), outShape);
  const dxImg = (t: (k: string) => Tensor, to: string) => reshape(rt, t(to), inShape);
  if (op.op === 'conv2d') {
    const w = keys.param(op.weight);
    const dw = keys.pgrad(op.weight);
    const db = op.bias ? keys.pgrad(op.bias) : null;
    const g = nodeGeometry(op, B);
    const splits = conv2dWeightSplits(g);
    const taps = g.C * g.KH * g.KW;
    const part = splits > 1 ? p.transient(`conv:dw-partial:${n.id}`, [splits, op.filters * taps]) : null;
    const writes = [dw, ...(db ? [db] : []), ...(part ? [part] : [])];
    p.push({
      label: `${n.name}:dW${db ? '+db' : ''}`,
      reads: [x, w, dy],
      writes,
      make: (t) =>
        prepareConv2dBackward(rt, { x: xImg(t), w: t(w), dy: dyImg(t), dw: t(dw), ...(db ? { db: t(db) } : {}), ...(part ? { dwPartial: t(part) } : {}) }, op),
    });
    contribute(`${n.name}:dX`, [x, dy, w], (out) => (t) => prepareConv2dBackward(rt, { x: xImg(t), w: t(w), dy: dyImg(t), dx: dxImg(t, out) }, op));
  } else if (op.op === 'pool2d') {
    if (op.mode === 'max') {
      const through = gate ? { gateActivation: gate.op.activation, slope: gate.op.slope } : {};
      const label = gate ? `${n.name}:dMaxPool2d*${gate.name}:${gate.op.activation}'` : `${n.name}:dMaxPool2d`;
      contribute(label, [x, dy], (out) => (t) => prepareMaxPool2dBackward(rt, { x: xImg(t), dy: dyImg(t), dx: dxImg(t, out) }, { ...op, ...through }));
    } else {
      contribute(`${n.name}:dAvgPool2d`, [dy], (out) => (t) => prepareAvgPool2dBackward(rt, { dy: dyImg(t), dx: dxImg(t, out) }, op));
    }
  } else {
    contribute(`${n.name}:dGlobalAvgPool`, [dy], (out) => (t) => prepareGlobalAvgPoolBackward(rt, { dy: t(dy), dx: dxImg(t, out) }));
  }
}
