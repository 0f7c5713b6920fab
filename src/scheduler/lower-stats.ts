// Activation telemetry in the step plan: one activation_stats dispatch per activation layer, each writing its
// record into the activation section of the metrics ring (see MetricsRing's second section).
//
// Which input: the statistics need the pre-activation z (a dead ReLU's z <= 0 is lost in y = 0, and tanh's y
// rounds to +-1 in f32 from |z| > 9). An activation fused into its dense or conv layer keeps only y, so with
// telemetry on the planner does not fuse it: the layer writes z, and the stats dispatch applies the activation
// as it measures (APPLY), so the layer costs exactly one dispatch more than fused. An activation that was never
// fused (after a norm, a residual sum, GELU) already has z stored: its dispatch only reads it.
import type { Graph, GraphNode } from '../nn/graph.js';
import type { Runtime } from '../gpu/runtime.js';
import { ACTIVATION_STATS_STRIDE, prepareActivationStats } from '../kernels/activation-stats.js';
import type { Tensor } from '../gpu/tensor.js';
import { reshape } from './lower-image.js';
import { isSequenceNode } from './lower-sequence.js';
import type { Program } from './program.js';

/** Where a plan's activation records go: the ring tensor's key and the activation section's geometry (floats). */
export interface StatsSink {
  metrics: string;
  /** Float index of slot 0 of the section. */
  base: number;
  slots: number;
}

/** The activation layers telemetry reports on, in graph order (record l of a slot is the l-th). */
export function activationLayers(g: Graph): GraphNode[] {
  return g.nodes.filter((n) => n.op.op === 'activation' && !isSequenceNode(n));
}

/** Floats per slot of the activation section: one record per activation layer. */
export const activationSectionStride = (g: Graph): number => activationLayers(g).length * ACTIVATION_STATS_STRIDE;

/** The label of layer `n`'s stats dispatch (the plan finds them by it to set each step's slot). */
export const statsLabel = (n: GraphNode) => `${n.name}:stats`;

/**
 * Push activation node `n`'s stats op: it reads z (key `z`, [B, width]); with `y`, it also writes y = act(z),
 * standing in for the activation's own dispatch.
 */
export function pushActivationStats(rt: Runtime, p: Program, g: Graph, n: GraphNode, B: number, z: string, y: string | null, sink: StatsSink): void {
  if (n.op.op !== 'activation') return;
  const { activation, slope } = n.op;
  const layers = activationLayers(g);
  const l = layers.indexOf(n);
  const rows = (x: Tensor) => reshape(rt, x, [B, n.width]);
  p.push({
    label: statsLabel(n),
    reads: [z],
    writes: y ? [y, sink.metrics] : [sink.metrics],
    make: (t) =>
      prepareActivationStats(
        rt,
        { z: rows(t(z)), metrics: t(sink.metrics), ...(y ? { y: rows(t(y)) } : {}) },
        { activation, slope, base: sink.base + l * ACTIVATION_STATS_STRIDE, stride: layers.length * ACTIVATION_STATS_STRIDE, slots: sink.slots },
      ),
  });
}
