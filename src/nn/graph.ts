// A model as a graph of nodes with known widths: what the planner compiles and the reference trainer runs.
import type { Activation } from '../core/activations.js';
import { GraphError } from '../core/errors.js';
import type { Init, Layer } from './layers.js';

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
  | { op: 'input' }
  | { op: 'dense'; weight: string; bias: string | null }
  | { op: 'activation'; activation: Activation; slope: number }
  | { op: 'layerNorm'; eps: number; gain: string; shift: string }
  | { op: 'batchNorm'; eps: number; momentum: number; gain: string; shift: string; runningMean: string; runningVar: string }
  | { op: 'add' };

export interface GraphNode {
  id: number;
  /** The layer's name, e.g. '2' or '3.block.1'; the input node is 'input'. */
  name: string;
  op: NodeOp;
  /** Ids of the nodes whose outputs this node reads, in order. */
  inputs: number[];
  /** Features per example of this node's output. */
  width: number;
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
      const what = n.op.op === 'activation' ? n.op.activation : n.op.op;
      const from = n.inputs.length ? ` <- ${n.inputs.join(', ')}` : '';
      return `${String(n.id).padStart(3)} ${n.name.padEnd(14)} ${what.padEnd(11)} width ${String(n.width).padEnd(6)} params ${count(n)}${from}`;
    });
    const total = this.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    return [...lines, `total parameters: ${total}`].join('\n');
  }
}

/** Lay the layers out as a graph, checking every width; throws GraphError naming the layer and the shapes. */
export function buildGraph(inputDim: number, layers: readonly (Layer | Layer[])[]): Graph {
  if (!Number.isInteger(inputDim) || inputDim < 1) throw new GraphError(`input width must be a positive integer, got ${inputDim}`);
  const nodes: GraphNode[] = [{ id: 0, name: 'input', op: { op: 'input' }, inputs: [], width: inputDim }];
  const params: ParamSpec[] = [];
  const stats: StatSpec[] = [];
  const names = new Set<string>();

  const add = (name: string, op: NodeOp, inputs: number[], width: number): number => {
    const id = nodes.length;
    nodes.push({ id, name, op, inputs, width });
    return id;
  };
  const param = (p: ParamSpec) => {
    if (names.has(p.name)) throw new GraphError(`two tensors are named '${p.name}'; give the layers distinct names`);
    names.add(p.name);
    params.push(p);
    return p.name;
  };

  const chain = (list: Layer[], from: number, prefix: string): number => {
    let cur = from;
    list.forEach((layer, i) => {
      const name = layer.name ?? `${prefix}${i}`;
      const width = nodes[cur]!.width;
      switch (layer.kind) {
        case 'dense': {
          const weight = param({ name: `${name}.weight`, shape: [layer.units, width], role: 'weight', init: layer.init, fanIn: width, fanOut: layer.units });
          const bias = layer.bias
            ? param({ name: `${name}.bias`, shape: [layer.units], role: 'bias', init: 'zeros', fanIn: width, fanOut: layer.units })
            : null;
          cur = add(name, { op: 'dense', weight, bias }, [cur], layer.units);
          break;
        }
        case 'activation':
          cur = add(name, { op: 'activation', activation: layer.activation, slope: layer.slope }, [cur], width);
          break;
        case 'layerNorm': {
          const gain = param({ name: `${name}.weight`, shape: [width], role: 'gain', init: 'ones', fanIn: width, fanOut: width });
          const shift = param({ name: `${name}.bias`, shape: [width], role: 'shift', init: 'zeros', fanIn: width, fanOut: width });
          cur = add(name, { op: 'layerNorm', eps: layer.eps, gain, shift }, [cur], width);
          break;
        }
        case 'batchNorm': {
          const gain = param({ name: `${name}.weight`, shape: [width], role: 'gain', init: 'ones', fanIn: width, fanOut: width });
          const shift = param({ name: `${name}.bias`, shape: [width], role: 'shift', init: 'zeros', fanIn: width, fanOut: width });
          const runningMean = `${name}.running_mean`;
          const runningVar = `${name}.running_var`;
          stats.push({ name: runningMean, length: width, initial: 0 }, { name: runningVar, length: width, initial: 1 });
          cur = add(name, { op: 'batchNorm', eps: layer.eps, momentum: layer.momentum, gain, shift, runningMean, runningVar }, [cur], width);
          break;
        }
        case 'residual': {
          const out = chain(layer.block, cur, `${name}.block.`);
          const w = nodes[out]!.width;
          if (w !== width) {
            throw new GraphError(`residual '${name}': its block maps width ${width} to ${w}; a residual block must keep the width (${width})`);
          }
          cur = add(name, { op: 'add' }, [cur, out], width);
          break;
        }
      }
    });
    return cur;
  };

  const flat = layers.flat();
  if (flat.length === 0) throw new GraphError('a model needs at least one layer');
  chain(flat, 0, '');
  return new Graph(nodes, params, stats);
}
