// The image nodes (conv2d, pooling, global average pooling) of the CPU reference trainer: the reference ops in
// float64, each result rounded to f32 as the GPU stores it.
import * as ref from '../reference/index.js';
import { nodeGeometry, type NodeOp } from '../nn/graph.js';

export type ImageOp = Extract<NodeOp, { op: 'conv2d' | 'pool2d' | 'globalAvgPool' }>;

export const isImageOp = (op: NodeOp): op is ImageOp => op.op === 'conv2d' || op.op === 'pool2d' || op.op === 'globalAvgPool';

const nhwc = (op: ImageOp, B: number): [number, number, number, number] => [B, ...op.input];

/** The node's output for B images; `param` gives a parameter's values by name. */
export function imageForward(op: ImageOp, x: Float32Array, B: number, param: (name: string) => Float32Array): Float32Array {
  if (op.op === 'globalAvgPool') return Float32Array.from(ref.globalAvgPool(x, nhwc(op, B)));
  const g = nodeGeometry(op, B);
  if (op.op === 'pool2d') return Float32Array.from(op.mode === 'max' ? ref.maxPool2d(x, g) : ref.avgPool2d(x, g, op));
  return Float32Array.from(ref.conv2dForward(x, param(op.weight), g, op.filters, { bias: op.bias ? param(op.bias) : undefined }));
}

/** The input's gradient and, for a convolution, its weight and bias gradients (by parameter name). */
export function imageBackward(
  op: ImageOp,
  x: Float32Array,
  dy: Float32Array,
  B: number,
  param: (name: string) => Float32Array,
): { dx: Float32Array; grads: [string, Float32Array][] } {
  const f32 = (a: Float64Array) => Float32Array.from(a);
  if (op.op === 'globalAvgPool') return { dx: f32(ref.globalAvgPoolBackward(dy, nhwc(op, B))), grads: [] };
  const g = nodeGeometry(op, B);
  if (op.op === 'pool2d') {
    const dx = op.mode === 'max' ? ref.maxPool2dBackward(x, dy, g) : ref.avgPool2dBackward(dy, g, op);
    return { dx: f32(dx), grads: [] };
  }
  const r = ref.conv2dBackward(x, param(op.weight), dy, g, op.filters);
  const grads: [string, Float32Array][] = [[op.weight, f32(r.dw)]];
  if (op.bias) grads.push([op.bias, f32(r.db)]);
  return { dx: f32(r.dx), grads };
}
