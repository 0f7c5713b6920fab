// A model definition: the graph, its parameter layout and the seed its initial values come from.
// Nothing here touches the GPU; `compile` (src/train/network.ts) does.
import { ArenaLayout, initialParameters, initialStats } from './arena.js';
import { buildGraph, type Graph, type InputSpec } from './graph.js';
import type { Layer } from './layers.js';

/** A model: layers laid out as a checked graph, with its parameter and statistics arenas and initial values (made by sequential). */
export class Model {
  readonly layout: ArenaLayout;
  readonly statsLayout: ArenaLayout;

  constructor(
    readonly graph: Graph,
    readonly seed: number,
  ) {
    this.layout = new ArenaLayout(graph.params);
    this.statsLayout = new ArenaLayout(graph.stats.map((s) => ({ name: s.name, shape: [s.length] })));
  }

  /** The initial parameter arena (He / Xavier weights from the seed, zero biases, unit gains). */
  initialParameters(): Float32Array {
    return initialParameters(this.layout, this.graph.params, this.seed);
  }

  /** The initial non-trainable state (BatchNorm running mean 0, variance 1). */
  initialStats(): Float32Array {
    return initialStats(this.statsLayout, this.graph.stats);
  }

  get inputDim(): number {
    return this.graph.inputDim;
  }

  get outputDim(): number {
    return this.graph.outputDim;
  }

  /** The graph as text, one line per node. */
  summary(): string {
    return this.graph.summary();
  }
}

/**
 * A model whose layers run one after another (residual blocks branch and rejoin inside). The input is a width,
 * an image shape [H, W, C] whose rows are fed as H*W*C floats in NHWC order, or { tokens: T } for T token ids.
 */
export function sequential(inputDim: InputSpec, layers: readonly (Layer | Layer[])[], options: { seed?: number } = {}): Model {
  return new Model(buildGraph(inputDim, layers), options.seed ?? 1);
}
