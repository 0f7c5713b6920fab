// A model as a graph of nodes with known widths: what the planner compiles and the reference trainer runs.
import type { Activation } from '../core/activations.js';
import { DescentError, GraphError } from '../core/errors.js';
import { convGeometry, type Conv2dGeometry, type Padding } from '../reference/conv-geometry.js';
import { poolGeometry } from '../reference/pool2d.js';
import type { Init, Layer } from './layers.js';
import { isTokenInput, sequenceNodes, type SequenceBuilder } from './sequence-layers.js';

/** A node's output per example: [H, W, C] for an NHWC image, [T, C] for a sequence, [width] for a vector (or T token ids). */
export type NodeShape = [number] | [number, number] | [number, number, number];
type Pair = number | [number, number];

/** A trainable tensor. Names follow PyTorch's (`0.weight`, `0.bias`, `3.block.0.weight`, ...). */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** weight: matrices (decayed by default); bias, gain, shift: vectors (not decayed by default). */
  role: 'weight' | 'bias' | 'gain' | 'shift';
  init: Init | 'zeros' | 'ones';
  fanIn: number;
  fanOut: number;
}

/** A non-trainable tensor that is part of the model's state (BatchNorm's running averages). */
export interface StatSpec {
  name: string;
  length: number;
  initial: number;
}

export type NodeOp =
  | { op: 'input'; tokens?: boolean }
  | { op: 'dense'; weight: string; bias: string | null }
  | { op: 'embedding'; weight: string; vocab: number }
  | { op: 'positional'; weight: string; context: number }
  | { op: 'attention'; heads: number; causal: boolean }
  | { op: 'activation'; activation: Activation; slope: number }
  | { op: 'layerNorm'; eps: number; gain: string; shift: string }
  | { op: 'batchNorm'; eps: number; momentum: number; gain: string; shift: string; runningMean: string; runningVar: string; channels: number }
  | { op: 'add' }
  | {
      op: 'conv2d';
      weight: string;
      bias: string | null;
      input: [number, number, number];
      kernel: [number, number];
      filters: number;
      stride: Pair;
      padding: Padding;
      dilation: Pair;
    }
  | { op: 'pool2d'; mode: 'max' | 'avg'; input: [number, number, number]; kernel: [number, number]; stride: Pair; padding: Padding; countIncludePad: boolean }
  | { op: 'globalAvgPool'; input: [number, number, number] };

/** The geometry of a conv2d or pool2d node's operation on a batch of B images. */
export function nodeGeometry(op: Extract<NodeOp, { op: 'conv2d' | 'pool2d' }>, B: number): Conv2dGeometry {
  const [H, W, C] = op.input;
  if (op.op === 'pool2d') return poolGeometry([B, H, W, C], op);
  return convGeometry([B, H, W, C], op.kernel, op);
}

/** One operation of a compiled model graph, with its inputs, output width and parameters. */
export interface GraphNode {
  id: number;
  /** The layer's name, e.g. '2' or '3.block.1'; the input node is 'input'. */
  name: string;
  op: NodeOp;
  /** Ids of the nodes whose outputs this node reads, in order. */
  inputs: number[];
  /** Features per example of this node's output (the product of its shape). */
  width: number;
  /** The output's logical shape per example. */
  shape: NodeShape;
}

/** A model compiled to nodes in topological order; node 0 is the input, the last node the output. */
export class Graph {
  constructor(
    readonly nodes: GraphNode[],
    readonly params: ParamSpec[],
    readonly stats: StatSpec[],
  ) {}

  get inputDim(): number {
    return this.nodes[0]!.width;
  }

  get outputDim(): number {
    return this.nodes[this.nodes.length - 1]!.width;
  }

  get output(): GraphNode {
    return this.nodes[this.nodes.length - 1]!;
  }

  /** T when the input is T token ids per example (a sequence model), else null. */
  get tokens(): number | null {
    return isTokenInput(this.nodes[0]!) ? this.nodes[0]!.width : null;
  }

  /** Ids of the nodes that read node `id`'s output. */
  consumers(id: number): number[] {
    return this.nodes.filter((n) => n.inputs.includes(id)).map((n) => n.id);
  }

  /** A readable one-line-per-node summary with widths and parameter counts. */
  summary(): string {
    const count = (n: GraphNode) =>
      this.params
        .filter((p) => p.name.startsWith(`${n.name}.`) && !p.name.slice(n.name.length + 1).includes('.'))
        .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    const lines = this.nodes.map((n) => {
      const shape = n.shape.length > 1 ? n.shape.join('x') : String(n.width);
      const what = n.op.op === 'activation' ? n.op.activation : n.op.op;
      const from = n.inputs.length ? ` <- ${n.inputs.join(', ')}` : '';
      return `${String(n.id).padStart(3)} ${n.name.padEnd(14)} ${what.padEnd(11)} shape ${shape.padEnd(9)} params ${count(n)}${from}`;
    });
    const total = this.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    return [...lines, `total parameters: ${total}`].join('\n');
  }
}

const show = (s: readonly number[]) =>
  s.length === 3 ? `image [${s.join(', ')}] (H, W, C)` : s.length === 2 ? `sequence [${s.join(', ')}] (T, C)` : `vector of width ${s[0]}`;
const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A model's input: a width, an image [H, W, C], or T token ids per example. */
export type InputSpec = number | readonly number[] | { tokens: number };

/** The input's shape: a width, or [H, W, C]; a GraphError otherwise. */
function inputShape(input: number | readonly number[]): NodeShape {
  const dims = typeof input === 'number' ? [input] : [...input];
  if ((dims.length !== 1 && dims.length !== 3) || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new GraphError(`input shape must be a positive integer width or an image [H, W, C] of positive integers, got ${JSON.stringify(input)}`);
  }
  return dims as NodeShape;
}

/**
 * Lay the layers out as a graph, inferring and checking every shape; throws GraphError naming the layer and the
 * shapes. `input` is a width, or [H, W, C] for NHWC images.
 */
export function buildGraph(input: InputSpec, layers: readonly (Layer | Layer[])[]): Graph {
  const tokens = typeof input === 'object' && !Array.isArray(input) && input !== null && 'tokens' in input;
  if (tokens && !(Number.isInteger(input.tokens) && input.tokens >= 1)) {
    throw new GraphError(`input { tokens } must be a positive integer context length, got ${JSON.stringify(input.tokens)}`);
  }
  const first = tokens ? ([input.tokens] as NodeShape) : inputShape(input as number | readonly number[]);
  const op: NodeOp = tokens ? { op: 'input', tokens: true } : { op: 'input' };
  const nodes: GraphNode[] = [{ id: 0, name: 'input', op, inputs: [], width: count(first), shape: first }];
  const params: ParamSpec[] = [];
  const stats: StatSpec[] = [];
  const names = new Set<string>();

  const add = (name: string, op: NodeOp, inputs: number[], shape: NodeShape): number => {
    const id = nodes.length;
    nodes.push({ id, name, op, inputs, width: count(shape), shape });
    return id;
  };
  const param = (p: ParamSpec) => {
    if (names.has(p.name)) throw new GraphError(`two tensors are named '${p.name}'; give the layers distinct names`);
    names.add(p.name);
    params.push(p);
    return p.name;
  };
  const needImage = (kind: string, name: string, shape: NodeShape): [number, number, number] => {
    if (shape.length !== 3) throw new GraphError(`${kind} '${name}' needs an image input [H, W, C], got a ${show(shape)}`);
    return shape;
  };
  /** Output [OH, OW, C] of a window over the image, or the geometry's error as a GraphError naming the layer. */
  const windowed = (kind: string, name: string, op: Extract<NodeOp, { op: 'conv2d' | 'pool2d' }>, channels: number): NodeShape => {
    try {
      const g = nodeGeometry(op, 1);
      return [g.OH, g.OW, channels];
    } catch (e) {
      if (!(e instanceof DescentError)) throw e;
      throw new GraphError(`${kind} '${name}' on an ${show(op.input)} with a ${op.kernel.join('x')} window: ${e.message}`);
    }
  };

  const builder: SequenceBuilder = { add, param, node: (id) => nodes[id]! };
  /** The token embedding's table, shared by a dense layer with `tie: true` (its shape must be the dense weight's). */
  const tiedWeight = (name: string, want: number[]): string => {
    const tables = nodes.filter((n) => n.op.op === 'embedding');
    if (tables.length !== 1)
      throw new GraphError(`dense '${name}' has tie: true, but the model has ${tables.length} token embeddings before it; it needs exactly one`);
    const table = params.find((p) => p.name === (tables[0]!.op as { weight: string }).weight)!;
    if (table.shape.join() !== want.join()) {
      throw new GraphError(
        `dense '${name}' has tie: true, but its weight [${want.join(', ')}] is not the shape of the embedding table '${table.name}' [${table.shape.join(', ')}]`,
      );
    }
    return table.name;
  };

  // `shape` is what the next layer sees: a flatten changes it without adding a node.
  const chain = (list: Layer[], from: number, prefix: string): { cur: number; shape: NodeShape } => {
    let cur = from;
    let shape = nodes[from]!.shape;
    list.forEach((layer, i) => {
      const name = layer.name ?? `${prefix}${i}`;
      const width = count(shape);
      const vector = (kind: string) => {
        if (shape.length === 3)
          throw new GraphError(`${kind} '${name}' needs a vector input, got an ${show(shape)}; put flatten() or globalAvgPool() before it`);
      };
      if (isTokenInput(nodes[cur]!) && layer.kind !== 'embedding') {
        throw new GraphError(`${layer.kind} '${name}' cannot read token ids [${shape.join(', ')}]; start the model with embedding(vocab, channels)`);
      }
      // On a sequence [T, C], dense and layerNorm act on the last axis: each of the B*T rows on its own.
      const features = shape.length === 2 ? shape[1]! : width;
      const rowShape = (units: number): NodeShape => (shape.length === 2 ? [shape[0]!, units] : [units]);
      switch (layer.kind) {
        case 'dense': {
          vector('dense');
          const weight = layer.tie
            ? tiedWeight(name, [layer.units, features])
            : param({ name: `${name}.weight`, shape: [layer.units, features], role: 'weight', init: layer.init, fanIn: features, fanOut: layer.units });
          const bias = layer.bias
            ? param({ name: `${name}.bias`, shape: [layer.units], role: 'bias', init: 'zeros', fanIn: features, fanOut: layer.units })
            : null;
          cur = add(name, { op: 'dense', weight, bias }, [cur], rowShape(layer.units));
          break;
        }
        case 'activation':
          cur = add(name, { op: 'activation', activation: layer.activation, slope: layer.slope }, [cur], shape);
          break;
        case 'layerNorm': {
          const gain = param({ name: `${name}.weight`, shape: [features], role: 'gain', init: 'ones', fanIn: features, fanOut: features });
          const shift = param({ name: `${name}.bias`, shape: [features], role: 'shift', init: 'zeros', fanIn: features, fanOut: features });
          cur = add(name, { op: 'layerNorm', eps: layer.eps, gain, shift }, [cur], shape);
          break;
        }
        case 'batchNorm': {
          // On an image, one mean and variance per channel over the batch and every pixel (BatchNorm2d).
          const ch = shape[shape.length - 1]!;
          const gain = param({ name: `${name}.weight`, shape: [ch], role: 'gain', init: 'ones', fanIn: ch, fanOut: ch });
          const shift = param({ name: `${name}.bias`, shape: [ch], role: 'shift', init: 'zeros', fanIn: ch, fanOut: ch });
          const runningMean = `${name}.running_mean`;
          const runningVar = `${name}.running_var`;
          stats.push({ name: runningMean, length: ch, initial: 0 }, { name: runningVar, length: ch, initial: 1 });
          const op: NodeOp = { op: 'batchNorm', eps: layer.eps, momentum: layer.momentum, gain, shift, runningMean, runningVar, channels: ch };
          cur = add(name, op, [cur], shape);
          break;
        }
        case 'residual': {
          const out = chain(layer.block, cur, `${name}.block.`);
          if (out.shape.join() !== shape.join()) {
            if (shape.length === 1 && out.shape.length === 1) {
              throw new GraphError(`residual '${name}': its block maps width ${width} to ${out.shape[0]}; a residual block must keep the width (${width})`);
            }
            throw new GraphError(`residual '${name}': its block maps an ${show(shape)} to a ${show(out.shape)}; a residual block must keep the shape`);
          }
          cur = add(name, { op: 'add' }, [cur, out.cur], shape);
          break;
        }
        case 'conv2d': {
          const input = needImage('conv2d', name, shape);
          const [KH, KW] = layer.kernel;
          const [C, OC] = [input[2], layer.filters];
          const op = {
            op: 'conv2d',
            weight: '',
            bias: null,
            input,
            kernel: layer.kernel,
            filters: OC,
            stride: layer.stride,
            padding: layer.padding,
            dilation: layer.dilation,
          } as const;
          const out = windowed('conv2d', name, op, OC);
          const [fanIn, fanOut] = [C * KH * KW, OC * KH * KW];
          const weight = param({ name: `${name}.weight`, shape: [OC, C, KH, KW], role: 'weight', init: layer.init, fanIn, fanOut });
          const bias = layer.bias ? param({ name: `${name}.bias`, shape: [OC], role: 'bias', init: 'zeros', fanIn, fanOut }) : null;
          cur = add(name, { ...op, weight, bias }, [cur], out);
          break;
        }
        case 'pool2d': {
          const input = needImage(`${layer.mode}Pool2d`, name, shape);
          const stride = layer.stride ?? layer.kernel;
          const op = {
            op: 'pool2d',
            mode: layer.mode,
            input,
            kernel: layer.kernel,
            stride,
            padding: layer.padding,
            countIncludePad: layer.countIncludePad,
          } as const;
          cur = add(name, op, [cur], windowed(`${layer.mode}Pool2d`, name, op, input[2]));
          break;
        }
        case 'globalAvgPool': {
          const input = needImage('globalAvgPool', name, shape);
          cur = add(name, { op: 'globalAvgPool', input }, [cur], [input[2]]);
          break;
        }
        case 'flatten':
          shape = [width];
          return;
        case 'embedding':
        case 'positionalEmbedding':
        case 'attention':
        case 'transformerBlock':
          cur = sequenceNodes(builder, layer, name, cur);
          break;
      }
      shape = nodes[cur]!.shape;
    });
    return { cur, shape };
  };

  const flat = layers.flat();
  if (flat.length === 0) throw new GraphError('a model needs at least one layer');
  chain(flat, 0, '');
  return new Graph(nodes, params, stats);
}
